"""The box in the back room: mDNS discovery and QR codes, demo data, `kiosk watch`.

Wired in by the CLI and `make_app`; never blocks start-up or the event loop."""
