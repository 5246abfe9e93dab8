"""Fixtures shared by the unit tests."""

import pytest

from helpers import model as cnn_model


@pytest.fixture(scope="module")
def cnn():
    """The series' architecture with fewer maps (4, 8, 16; 5 dense nodes): same layer names and map sizes,
    seconds to run. Seeded, untrained."""
    return cnn_model.build_cnn(conv_filters=(4, 8, 16), dense_units=5, seed=7)
