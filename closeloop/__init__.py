"""The composition root: the closeloop command and the wiring of scheduler,
web app and database."""
