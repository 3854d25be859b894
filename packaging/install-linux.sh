#!/usr/bin/env sh
# Add Hand Sign Studio to the Linux application menu of the current user.
#   sh install-linux.sh [path/to/HandSignStudio-folder]
# The build copies this script and handsign-studio.desktop into the app folder, so
# after unpacking:  sh HandSignStudio/install-linux.sh
# Nothing big is copied: the menu entry points at the unpacked folder, wherever it is.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
app=${1:-}
if [ -z "$app" ]; then
  for candidate in "$here" "$here/../dist/HandSignStudio"; do
    if [ -x "$candidate/HandSignStudio" ]; then app=$candidate; break; fi
  done
fi
if [ -z "$app" ] || [ ! -x "$app/HandSignStudio" ]; then
  echo "install-linux.sh: no HandSignStudio folder found; pass its path" >&2
  exit 1
fi
app=$(cd "$app" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
mkdir -p "$data/applications" "$data/icons/hicolor/512x512/apps"
cp "$app/_internal/assets/icons/handsign.png" "$data/icons/hicolor/512x512/apps/handsign-studio.png"
sed "s|^Exec=HandSignStudio|Exec=\"$app/HandSignStudio\"|" "$here/handsign-studio.desktop" \
  > "$data/applications/handsign-studio.desktop"
if command -v update-desktop-database >/dev/null 2>&1; then update-desktop-database "$data/applications" || true; fi
echo "Hand Sign Studio is now in the application menu ($data/applications/handsign-studio.desktop)"
