#!/usr/bin/env bash
# Build Asterisk 22 with PJSIP from the public sources in ../shared/asterisk into a cache
# folder outside the repository, once; later calls only print the install prefix.
#
#   tests/asterisk/build_asterisk.sh [SOURCE_DIR]   -> prints PREFIX on stdout (last line)
#
# SOURCE_DIR holds asterisk-22.10.1.tar.gz and pjproject-2.17.tar.bz2 (default: ../shared/asterisk
# beside the checkout, or $PROWEBCRM_ASTERISK_SOURCES). The cache root is
# $PROWEBCRM_ASTERISK_CACHE (default ~/.cache/prowebcrm); the build folder name carries the
# sources' checksum and this script's recipe version, so a new tarball or recipe builds anew.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
src=${1:-${PROWEBCRM_ASTERISK_SOURCES:-$repo/../shared/asterisk}}
AST=asterisk-22.10.1
PJ=pjproject-2.17
RECIPE=1   # bump when the flags below change

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'ASTERISK BUILD FAILED: %s\n' "$*" >&2; exit 1; }

[ -d "$src" ] || die "no source folder $src"
src=$(cd "$src" && pwd)   # the build runs in another folder: a relative path would break there
[ -f "$src/$AST.tar.gz" ] || die "no $AST.tar.gz in $src"
[ -f "$src/$PJ.tar.bz2" ] || die "no $PJ.tar.bz2 in $src"
sum=$(cat "$src/$AST.tar.gz" "$src/$PJ.tar.bz2" | sha256sum | cut -c1-12)
cache=${PROWEBCRM_ASTERISK_CACHE:-$HOME/.cache/prowebcrm}
prefix="$cache/$AST-r$RECIPE-$sum"
if [ -x "$prefix/sbin/asterisk" ] && [ -f "$prefix/.complete" ]; then
    echo "$prefix"; exit 0
fi

need_pkgs="build-essential libedit-dev libjansson-dev libxml2-dev uuid-dev libsqlite3-dev libssl-dev libcurl4-openssl-dev pkg-config"
missing=""
for p in $need_pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        log "installing build dependencies:$missing"
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null) \
            || die "apt-get could not install:$missing"
    else
        die "missing Debian packages:$missing (install them, or run as root)"
    fi
fi

mkdir -p "$cache"
# One build at a time per cache (two test runs starting together would race).
exec 9>"$cache/.build.lock"
flock 9
if [ -x "$prefix/sbin/asterisk" ] && [ -f "$prefix/.complete" ]; then
    echo "$prefix"; exit 0
fi
work="$cache/build-$sum"
rm -rf "$work" "$prefix"
mkdir -p "$work/dl"
cp "$src/$PJ.tar.bz2" "$work/dl/"
log "building $AST with PJSIP into $prefix (about 4-6 minutes on 2 cores: 226 s and 346 s measured; log: $work/build.log)"
start=$(date +%s)
(
    set -e
    cd "$work"
    tar xzf "$src/$AST.tar.gz"
    cd "$AST"
    ./configure --prefix="$prefix" --with-download-cache="$work/dl" --with-jansson-bundled=no \
        --without-dahdi --without-pri --without-ss7 --without-opus
    make menuselect.makeopts
    menuselect/menuselect --disable-category MENUSELECT_CORE_SOUNDS --disable-category MENUSELECT_MOH \
        --disable-category MENUSELECT_EXTRA_SOUNDS --disable BUILD_NATIVE menuselect.makeopts
    make -j"$(( $(nproc) + 1 ))"
    make install
) >"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; die "see $work/build.log"; }
[ -x "$prefix/sbin/asterisk" ] || die "no sbin/asterisk after make install"
[ -f "$prefix/lib/asterisk/modules/chan_pjsip.so" ] || die "chan_pjsip.so was not built"
touch "$prefix/.complete"
rm -rf "$work"
log "built in $(( $(date +%s) - start )) s"
echo "$prefix"
