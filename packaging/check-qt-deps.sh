#!/usr/bin/env bash
# Tell the user which system libraries Qt's X11/Wayland plugins miss (tests do not need them:
# they run with QT_QPA_PLATFORM=offscreen). Exits 1 when some are missing, so that `make run`
# stops here with the list instead of launching an app that cannot open its window.
py="${1:-python3}"
status=0
plugins=$("$py" -c 'import PySide6, os; print(os.path.join(os.path.dirname(PySide6.__file__), "Qt", "plugins", "platforms"))' 2>/dev/null) || exit "$status"
missing=$(ldd "$plugins"/libqxcb.so 2>/dev/null | awk '/not found/ {print $1}' | sort -u)
if [ -n "$missing" ]; then
  echo "Qt's X11 plugin misses system libraries: $missing" >&2
  echo "On Debian/Ubuntu install them with:" >&2
  echo "  sudo apt-get install libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xkb1 libxcb-render-util0 libxcb-image0 libegl1 libgl1 libfontconfig1 libdbus-1-3" >&2
  status=1
fi
if command -v fc-list >/dev/null 2>&1 && [ -z "$(fc-list ':charset=1f44d' family 2>/dev/null)" ]; then
  echo "No font on this system draws emoji (reactions show as empty boxes); on Debian/Ubuntu: sudo apt-get install fonts-noto-color-emoji" >&2
fi
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "No DISPLAY or WAYLAND_DISPLAY: the window needs a desktop session (or run 'webhook-inspector serve' headless)." >&2
fi
exit "$status"
