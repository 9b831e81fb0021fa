"""gov rejections (codespace ``gov``), numbered as Cosmos SDK v0.50's x/gov errors."""

from vm.errors import make_error

CODESPACE = "gov"

UnknownProposal = make_error("UnknownProposal", 2, "unknown proposal", CODESPACE)
InactiveProposal = make_error("InactiveProposal", 3, "inactive proposal", CODESPACE)
InvalidProposalContent = make_error("InvalidProposalContent", 5, "invalid proposal content", CODESPACE)
InvalidVote = make_error("InvalidVote", 7, "invalid vote option", CODESPACE)
InvalidGenesis = make_error("InvalidGenesis", 8, "invalid genesis state", CODESPACE)
UnroutableProposalMsg = make_error(
    "UnroutableProposalMsg", 10, "proposal message not recognized by router", CODESPACE
)
InvalidProposalMsg = make_error("InvalidProposalMsg", 12, "invalid proposal message", CODESPACE)
InvalidSigner = make_error(
    "InvalidSigner", 13, "expected gov account as only signer for proposal message", CODESPACE
)
MetadataTooLong = make_error("MetadataTooLong", 15, "metadata too long", CODESPACE)
MinDepositTooSmall = make_error("MinDepositTooSmall", 16, "minimum deposit is too small", CODESPACE)
InvalidProposer = make_error("InvalidProposer", 18, "invalid proposer", CODESPACE)
VotingPeriodEnded = make_error("VotingPeriodEnded", 20, "voting period already ended", CODESPACE)
InvalidProposal = make_error("InvalidProposal", 21, "invalid proposal", CODESPACE)
SummaryTooLong = make_error("SummaryTooLong", 22, "summary too long", CODESPACE)
InvalidDepositDenom = make_error("InvalidDepositDenom", 23, "invalid deposit denom", CODESPACE)
TitleTooLong = make_error("TitleTooLong", 24, "title too long", CODESPACE)
