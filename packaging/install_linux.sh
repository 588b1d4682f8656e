#!/usr/bin/env bash
# Install a built one-folder NetBuilder for one user (or system-wide with --prefix /usr/local):
# the app folder, a NetBuilder command, the menu entry, the hicolor icons and the AppStream data.
#
#   packaging/install_linux.sh [--prefix DIR] APP_FOLDER      (APP_FOLDER: .../dist/NetBuilder)
#   packaging/install_linux.sh [--prefix DIR] --uninstall
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
id=io.github.netbuilder.NetBuilder
prefix=$HOME/.local
uninstall=0
app=""
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=$2; shift 2 ;;
    --uninstall) uninstall=1; shift ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) app=$1; shift ;;
  esac
done

dest=$prefix/lib/netbuilder
share=$prefix/share
sizes=(16 24 32 48 64 128 256 512)

if [ "$uninstall" -eq 1 ]; then
  rm -rf "$dest"
  rm -f "$prefix/bin/NetBuilder" "$share/applications/$id.desktop" "$share/metainfo/$id.metainfo.xml" \
    "$share/icons/hicolor/scalable/apps/$id.svg"
  for size in "${sizes[@]}"; do rm -f "$share/icons/hicolor/${size}x${size}/apps/$id.png"; done
  echo "removed NetBuilder from $prefix"
  exit 0
fi

if [ -z "$app" ] || [ ! -x "$app/NetBuilder" ]; then
  echo "install_linux.sh: give the built app folder (the one holding the NetBuilder executable)" >&2
  exit 2
fi

rm -rf "$dest"
mkdir -p "$dest" "$prefix/bin" "$share/applications" "$share/metainfo" "$share/icons/hicolor/scalable/apps"
cp -a "$app/." "$dest/"
ln -sf "$dest/NetBuilder" "$prefix/bin/NetBuilder"
# The entry runs NetBuilder from PATH; point it at the installed copy in case PATH lacks prefix/bin.
sed -e "s|^Exec=NetBuilder|Exec=$dest/NetBuilder|" -e "s|^TryExec=NetBuilder|TryExec=$dest/NetBuilder|" \
  "$here/$id.desktop" > "$share/applications/$id.desktop"
cp "$here/$id.metainfo.xml" "$share/metainfo/"
cp "$root/resources/icons/app/netbuilder.svg" "$share/icons/hicolor/scalable/apps/$id.svg"
for size in "${sizes[@]}"; do
  mkdir -p "$share/icons/hicolor/${size}x${size}/apps"
  cp "$root/resources/icons/app/netbuilder-$size.png" "$share/icons/hicolor/${size}x${size}/apps/$id.png"
done
command -v update-desktop-database >/dev/null && update-desktop-database -q "$share/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$share/icons/hicolor" || true
echo "installed NetBuilder in $dest; run NetBuilder or pick it from the applications menu"
