"""compute rejections (codespace ``compute``). Codes are stable: clients key on them."""

from vm.errors import make_error

CODESPACE = "compute"

JobNotFound = make_error("JobNotFound", 2, "job not found", CODESPACE)
LeaseNotActive = make_error("LeaseNotActive", 3, "lease is not active", CODESPACE)
NotLeaseRequester = make_error("NotLeaseRequester", 4, "not the requester of the lease", CODESPACE)
JobKindNotServed = make_error(
    "JobKindNotServed", 5, "the lease's offer does not serve this job kind", CODESPACE
)
TooManyOpenJobs = make_error("TooManyOpenJobs", 6, "too many open jobs on the lease", CODESPACE)
InvalidHeader = make_error("InvalidHeader", 7, "invalid job header", CODESPACE)
InvalidDeadline = make_error("InvalidDeadline", 8, "invalid deadline", CODESPACE)
NotJobProvider = make_error("NotJobProvider", 9, "not the provider of the job", CODESPACE)
WrongJobState = make_error("WrongJobState", 10, "the job is not in a state that allows this", CODESPACE)
DeadlinePassed = make_error("DeadlinePassed", 11, "deadline passed", CODESPACE)
NotCommitteeMember = make_error("NotCommitteeMember", 12, "not a member of the job's committee", CODESPACE)
AlreadyAttested = make_error("AlreadyAttested", 13, "already attested", CODESPACE)
InvalidAttestation = make_error("InvalidAttestation", 14, "invalid attestation", CODESPACE)
InvalidFraudProof = make_error("InvalidFraudProof", 15, "invalid fraud proof", CODESPACE)
InvalidDispute = make_error("InvalidDispute", 16, "invalid dispute", CODESPACE)
NotAttested = make_error("NotAttested", 17, "the member has no valid attestation to dispute", CODESPACE)
AlreadyPunished = make_error("AlreadyPunished", 18, "the member was already punished for this job", CODESPACE)
InvalidPrice = make_error("InvalidPrice", 19, "invalid price", CODESPACE)
JobsOpen = make_error("JobsOpen", 20, "the provider has jobs that are not settled", CODESPACE)
NotChallenger = make_error(
    "NotChallenger", 21, "only a committee member or the requester may challenge availability", CODESPACE
)
AlreadyChallenged = make_error(
    "AlreadyChallenged", 22, "the job's availability was already challenged", CODESPACE
)
NoOpenChallenge = make_error("NoOpenChallenge", 23, "the job has no open availability challenge", CODESPACE)
InvalidChunks = make_error("InvalidChunks", 24, "invalid chunk openings", CODESPACE)
JobTooLargeToProve = make_error("JobTooLargeToProve", 25, "job too large to prove", CODESPACE)
DisputePending = make_error(
    "DisputePending", 26, "the member's attestation has a dispute awaiting its answer", CODESPACE
)
NoPendingDispute = make_error(
    "NoPendingDispute", 27, "no dispute of the member's attestation awaits an answer", CODESPACE
)
InvalidAnswer = make_error("InvalidAnswer", 28, "the answer does not open the disputed entry", CODESPACE)
NotActiveProvider = make_error(
    "NotActiveProvider", 30, "only an active provider may claim capacity", CODESPACE
)
