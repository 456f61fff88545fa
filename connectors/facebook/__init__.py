"""Facebook pages and their Messenger conversations: the connector through
facebook-sdk, the parsing of Graph objects, messages and webhook
deliveries, its parts of the emulator and recorded payloads (`fixtures/`).
The Messenger Platform parts (`messenger.py`, `messages.py`,
`emulator_messenger.py`) serve Instagram's direct messages too."""
