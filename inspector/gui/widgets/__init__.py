"""The widgets of the main window: body view, detail pane and its tabs, filter bar, status, tray,
tunnel bar, samples menu, messages view."""
