"""The dialogs of the desktop app: settings (one module per tab), replay, import, compare, check,
connect, export and help."""
