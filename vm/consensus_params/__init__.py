"""consensus params: the block, tx and evidence limits every node judges validity by."""
