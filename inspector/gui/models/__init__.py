"""The Qt item models of the desktop app (each passes pytest-qt's qtmodeltester)."""
