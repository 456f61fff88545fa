"""closeloop's tests."""

# A web.secret_key of the length the settings require.
TEST_SECRET_KEY = "test-" + "0" * 59
