from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class Params(_message.Message):
    __slots__ = ("max_memo_characters", "tx_size_cost_per_byte", "sig_verify_cost_secp256k1", "min_gas_price_numerator", "min_gas_price_denominator", "fee_denom")
    MAX_MEMO_CHARACTERS_FIELD_NUMBER: _ClassVar[int]
    TX_SIZE_COST_PER_BYTE_FIELD_NUMBER: _ClassVar[int]
    SIG_VERIFY_COST_SECP256K1_FIELD_NUMBER: _ClassVar[int]
    MIN_GAS_PRICE_NUMERATOR_FIELD_NUMBER: _ClassVar[int]
    MIN_GAS_PRICE_DENOMINATOR_FIELD_NUMBER: _ClassVar[int]
    FEE_DENOM_FIELD_NUMBER: _ClassVar[int]
    max_memo_characters: int
    tx_size_cost_per_byte: int
    sig_verify_cost_secp256k1: int
    min_gas_price_numerator: int
    min_gas_price_denominator: int
    fee_denom: str
    def __init__(self, max_memo_characters: _Optional[int] = ..., tx_size_cost_per_byte: _Optional[int] = ..., sig_verify_cost_secp256k1: _Optional[int] = ..., min_gas_price_numerator: _Optional[int] = ..., min_gas_price_denominator: _Optional[int] = ..., fee_denom: _Optional[str] = ...) -> None: ...
