"""Tendermint BFT consensus ("The latest gossip on BFT consensus", Buchman, Kwon,
Milosevic 2018): the messages, vote bookkeeping and the pure round state machine.

Nothing here does I/O, reads a clock or uses trio: a driver feeds the machine
messages and timeouts and carries out what it returns.
"""
