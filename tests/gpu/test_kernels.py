"""The compiled Freivalds kernels equal plain int64 NumPy, on both of their paths."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpu import kernels, prng

INT32_MAX = 2**31 - 1


def _seeded(seed: int, rows: int, cols: int, bound: int) -> tuple[prng.Words, prng.Words, np.ndarray]:
    row_words, col_words = prng.line_words(seed, 0, (0, rows), (0, cols))
    return row_words, col_words, prng.entries(row_words, col_words, bound).astype(np.int64)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 2**64 - 1),
    st.integers(1, 9),
    st.integers(1, 5000),  # past one TILE of columns
    st.integers(1, 2048),
    st.integers(1, 7),  # rounds: not a multiple of GROUP
    st.sampled_from([1 << 20, 1 << 46]),  # challenge vectors, or W r: the float64 and int64 paths
)
def test_seeded_times_equals_int64_reference(
    seed: int, rows: int, cols: int, bound: int, rounds: int, magnitude: int
) -> None:
    row_words, col_words, matrix = _seeded(seed, rows, cols, bound)
    vectors = np.random.default_rng(seed % 2**32).integers(-magnitude + 1, magnitude, (rounds, cols))
    prepared = kernels.prepare_vectors(vectors, bound)
    out = np.empty((rows, len(prepared)), np.int64)
    kernels.seeded_times(row_words, col_words, bound, prepared, out)
    assert np.array_equal(out[:, :rounds], matrix @ vectors.T)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 9), st.integers(1, 5000), st.integers(1, 7))
def test_dense_times_equals_int64_reference(seed: int, rows: int, cols: int, rounds: int) -> None:
    rng = np.random.default_rng(seed)
    bound = 1 << 22
    matrix = rng.integers(-bound, bound + 1, (rows, cols)).astype(np.int32)
    vectors = rng.integers(0, 1 << 20, (rounds, cols))
    prepared = kernels.prepare_vectors(vectors, bound)
    out = np.empty((rows, len(prepared)), np.int64)
    assert kernels.dense_times(matrix, bound, prepared, out) == -1
    assert np.array_equal(out[:, :rounds], matrix.astype(np.int64) @ vectors.T)


def test_float_path_is_exact_at_its_limit() -> None:
    """Entries at -bound and vectors at the largest value the float64 path accepts."""
    bound, cols = 1 << 22, 3 * kernels.TILE
    largest = ((1 << 53) - 1) // (bound * kernels.TILE)
    vectors = np.full((3, cols), largest, np.int64)
    prepared = kernels.prepare_vectors(vectors, bound)
    assert prepared.dtype == np.float64
    assert kernels.prepare_vectors(vectors + 1, bound).dtype == np.int64
    matrix = np.full((2, cols), -bound, np.int32)
    out = np.empty((2, 3), np.int64)
    kernels.dense_times(matrix, bound, prepared, out)
    assert int(out[0, 0]) == -bound * largest * cols


def test_prepare_vectors_pads_rounds_to_groups() -> None:
    vectors = np.arange(8).reshape(2, 4)
    prepared = kernels.prepare_vectors(vectors, 1)
    assert prepared.shape == (kernels.GROUP, 4) and prepared.flags.c_contiguous
    assert np.array_equal(prepared[:2], vectors) and not prepared[2:].any()


@pytest.mark.parametrize(
    ("row", "col", "value"),
    [
        (0, 0, 101),
        (3, 4999, -101),
        (2, 2048, INT32_MAX),
        (1, 700, -101),  # its row's only entry out of range, and below -bound: the negative side alone
        (1, 2047, -(2**31)),
    ],
)
def test_dense_times_reports_the_first_row_out_of_range(row: int, col: int, value: int) -> None:
    matrix = np.full((5, 5000), 100, np.int32)
    matrix[row, col] = value
    matrix[4, 0] = -500  # a later row out of range too, in an earlier column
    matrix[min(row + 1, 3), 0] = 500  # and maybe one in the same block of rows
    out = np.empty((5, 3), np.int64)
    assert (
        kernels.dense_times(matrix, 100, kernels.prepare_vectors(np.ones((3, 5000), np.int64), 100), out)
        == row
    )
