#!/usr/bin/env bash
# Register photoclip with the desktop for the current user: app menu entry, icons and
# AppStream metainfo under ~/.local/share (or $XDG_DATA_HOME). No root needed.
#
#   install-desktop-entry.sh [PHOTOCLIP]      install; PHOTOCLIP is the launcher to start
#   install-desktop-entry.sh --uninstall      remove what an install put there
#
# The launcher is, in this order: the PHOTOCLIP argument; the `photoclip` next to this
# script (inside the dist/photoclip/ bundle, where build_linux.sh puts a copy of this
# script); the `photoclip` found on PATH (pip install, pipx install). The menu entry runs
# it by its absolute path, so it works whatever PATH the desktop session has.
#
# The desktop file and icons come from photoclip's resources: resources/ in a source
# tree, _internal/photoclip/resources/ in the bundle, or --resources DIR.
set -euo pipefail

APP_ID=io.github.photoclip.Photoclip
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() {
    sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}
say() { echo "install-desktop-entry: $*" >&2; }
die() { say "$*"; exit 1; }

uninstall=0
launcher=
resources=
while [ $# -gt 0 ]; do
    case "$1" in
        --uninstall) uninstall=1 ;;
        --resources) resources=${2:?--resources needs a folder}; shift ;;
        --resources=*) resources=${1#--resources=} ;;
        -h | --help) usage ;;
        -*) say "unknown option $1"; usage ;;
        *) [ -z "$launcher" ] || usage; launcher=$1 ;;
    esac
    shift
done

data_home=${XDG_DATA_HOME:-}
if [ -z "$data_home" ]; then
    [ -n "${HOME:-}" ] || die "neither XDG_DATA_HOME nor HOME is set"
    data_home=$HOME/.local/share
fi
apps_dir=$data_home/applications
icons_dir=$data_home/icons/hicolor
metainfo_dir=$data_home/metainfo
desktop_file=$apps_dir/$APP_ID.desktop

refresh_caches() {
    if command -v update-desktop-database >/dev/null && [ -d "$apps_dir" ]; then
        update-desktop-database --quiet "$apps_dir" || say "update-desktop-database failed (the menu may update later)"
    fi
    if [ -d "$icons_dir" ]; then
        # Icon lookups rescan a theme folder whose time stamp is newer than its cache; a
        # cache file that already exists must be rebuilt or it hides the new icons.
        touch "$icons_dir"
        if command -v gtk-update-icon-cache >/dev/null \
            && { [ -f "$icons_dir/icon-theme.cache" ] || [ -f "$icons_dir/index.theme" ]; }; then
            gtk-update-icon-cache --force --ignore-theme-index --quiet "$icons_dir" \
                || say "gtk-update-icon-cache failed (icons may show after the next login)"
        fi
    fi
}

if [ "$uninstall" = 1 ]; then
    [ -z "$launcher" ] || usage
    removed=0
    for file in "$desktop_file" "$metainfo_dir/$APP_ID.metainfo.xml" \
        "$icons_dir"/*/apps/"$APP_ID".png "$icons_dir"/scalable/apps/"$APP_ID".svg; do
        if [ -e "$file" ]; then
            rm -f "$file"
            removed=$((removed + 1))
        fi
    done
    refresh_caches
    say "removed $removed files from $data_home"
    exit 0
fi

# --- where the desktop file and icons are --------------------------------------------
if [ -z "$resources" ]; then
    for candidate in "$here/../resources" "$here/_internal/photoclip/resources"; do
        if [ -f "$candidate/desktop/$APP_ID.desktop" ]; then
            resources=$candidate
            break
        fi
    done
    [ -n "$resources" ] || die "photoclip's resources not found next to this script; use --resources DIR"
fi
resources=$(cd "$resources" && pwd)
[ -f "$resources/desktop/$APP_ID.desktop" ] || die "$resources/desktop/$APP_ID.desktop missing"
[ -d "$resources/icons/hicolor" ] || die "$resources/icons/hicolor missing"

# --- which launcher the menu entry starts --------------------------------------------
if [ -z "$launcher" ]; then
    if [ -x "$here/photoclip" ] && [ -f "$here/photoclip" ]; then
        launcher=$here/photoclip
    else
        launcher=$(command -v photoclip || true)
        [ -n "$launcher" ] || die "no photoclip command on PATH: install photoclip first, or give its path"
    fi
fi
case "$launcher" in
    /*) ;;
    */*) launcher=$PWD/$launcher ;;
    *)
        name=$launcher
        launcher=$(command -v "$name" || true)
        [ -n "$launcher" ] || die "$name not found on PATH"
        ;;
esac
[ -f "$launcher" ] && [ -x "$launcher" ] || die "$launcher is not an executable file"

# The Exec key's quoting (Desktop Entry Specification, "The Exec key"): a plain path as
# it is; otherwise in double quotes with \ " ` $ escaped, and then every \ doubled
# again because the value is a string. A literal % is written %%.
exec_arg() {
    local path=$1
    if [[ "$path" =~ ^[A-Za-z0-9_/.+,@:-]+$ ]]; then
        printf '%s' "$path"
        return
    fi
    path=${path//\\/\\\\}
    path=${path//\"/\\\"}
    path=${path//\`/\\\`}
    path=${path//\$/\\\$}
    path=${path//\\/\\\\}
    path=${path//\%/%%}
    printf '"%s"' "$path"
}
# TryExec is a plain string (no quoting, only string escapes); the menu hides the entry
# when the launcher goes away.
try_exec=${launcher//\\/\\\\}
exec_line=$(exec_arg "$launcher")

mkdir -p "$apps_dir" "$metainfo_dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in
        Exec=*) printf 'Exec=%s\n' "$exec_line" ;;
        TryExec=*) printf 'TryExec=%s\n' "$try_exec" ;;
        *) printf '%s\n' "$line" ;;
    esac
done <"$resources/desktop/$APP_ID.desktop" >"$work/$APP_ID.desktop"
if command -v desktop-file-validate >/dev/null; then
    desktop-file-validate "$work/$APP_ID.desktop" >&2 || die "the desktop file for $launcher does not validate"
fi
# Copy under a name menus ignore, then rename: the menu never sees a half-written entry.
install -m 644 "$work/$APP_ID.desktop" "$apps_dir/.$APP_ID.desktop.part"
mv -f "$apps_dir/.$APP_ID.desktop.part" "$desktop_file"

if [ -f "$resources/desktop/$APP_ID.metainfo.xml" ]; then
    install -m 644 "$resources/desktop/$APP_ID.metainfo.xml" "$metainfo_dir/$APP_ID.metainfo.xml"
fi
icons=0
for icon in "$resources"/icons/hicolor/*/apps/"$APP_ID".*; do
    [ -f "$icon" ] || continue
    size_dir=$(basename "$(dirname "$(dirname "$icon")")")
    mkdir -p "$icons_dir/$size_dir/apps"
    install -m 644 "$icon" "$icons_dir/$size_dir/apps/"
    icons=$((icons + 1))
done
[ "$icons" -gt 0 ] || die "no icons under $resources/icons/hicolor"

refresh_caches
say "installed $desktop_file ($icons icons) starting $launcher"
