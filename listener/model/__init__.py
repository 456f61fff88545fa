"""The shipped sentiment model (sentiment.json), package data read by listener.sentiment_model."""
