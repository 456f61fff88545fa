import pytest

from listener.sentiment_model import SHIPPED_MODEL, save_model
from training.build_model import build


@pytest.mark.shared_data
@pytest.mark.long
def test_the_shipped_model_is_rebuilt_byte_for_byte(shared_data, tmp_path):
    save_model(build(shared_data), tmp_path / "sentiment.json")
    assert (tmp_path / "sentiment.json").read_bytes() == SHIPPED_MODEL.read_bytes()
