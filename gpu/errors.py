"""The failures gpu/ reports to its callers; one base class so a CLI can turn them into one line."""


class GpuError(Exception):
    """A failure a user or a counterparty can cause: a bad spec, file, proof or device."""


class BackendError(GpuError):
    """The requested compute backend is unknown, unusable, or failed its exactness self-test."""


class JobSpecError(GpuError):
    """A job spec that cannot be decoded, or breaks a rule (shape, bound, size limit)."""


class ResultFileError(GpuError):
    """A result folder whose files are missing, corrupt, or belong to another spec."""


class OutputShapeError(GpuError):
    """Outputs whose count, shape or dtype differ from what the spec defines."""


class InvalidFraudProof(GpuError):
    """A fraud proof that does not show the committed result to be wrong."""


class InvalidOpening(GpuError):
    """Leaves whose bytes or Merkle proof do not lead to the root they are checked against."""


class InvalidDispute(GpuError):
    """An attestation dispute that does not show the attested C r entry to be wrong."""


class EncodingError(GpuError):
    """Bytes that do not decode as the documented binary layout of a proof or attestation."""
