# shellcheck shell=bash
# rootfs.sh: Debian root filesystems made with debootstrap from the host's
# own apt mirror, cached as tarballs keyed by their package list, and turned
# into images with docker import. Sourced by build.sh, never run.

# rootfs_recipe names the way a root filesystem is made; change it when
# ensure_rootfs or trim_rootfs changes, so older cached tarballs are not
# reused.
rootfs_recipe=1

if command -v zstd >/dev/null; then
	zext=zst zcomp=(zstd -q -T0 -3) zdecomp=(zstd -q -dc)
else
	zext=gz zcomp=(gzip -1) zdecomp=(gzip -dc)
fi

# deb_mirror prints the Debian mirror to debootstrap from: MIMO_IMAGES_MIRROR
# if set, else the host's first apt source for $suite, else the host's first
# source for its own release (a mirror serves every release).
deb_mirror() {
	if [[ -n ${MIMO_IMAGES_MIRROR:-} ]]; then
		printf '%s\n' "$MIMO_IMAGES_MIRROR"
		return
	fi
	local codename want uri
	codename=$(awk -F= '$1 == "VERSION_CODENAME" { gsub(/"/, "", $2); print $2 }' /etc/os-release 2>/dev/null || true)
	for want in "$suite" "$codename"; do
		[[ -n $want ]] || continue
		uri=$(apt_source_uri "$want")
		if [[ -n $uri ]]; then
			printf '%s\n' "$uri"
			return
		fi
	done
	die "no apt source for $suite in /etc/apt/sources.list or sources.list.d; set MIMO_IMAGES_MIRROR to a Debian mirror URL"
}

# apt_source_uri SUITE prints the URI of the first enabled "deb" source for
# exactly SUITE (so never a -security or -updates one), from one-line .list
# files and deb822 .sources files; nothing if there is none.
apt_source_uri() {
	local f lists=() sources=() uri=""
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[[ -f $f ]] && lists+=("$f")
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[[ -f $f ]] && sources+=("$f")
	done
	if ((${#lists[@]})); then
		# deb [options] URI SUITE COMPONENT...
		uri=$(awk -v s="$1" '
			$1 == "deb" {
				i = 2
				if ($i ~ /^\[/) { while (i < NF && $i !~ /\]$/) i++; i++ }
				if ($(i + 1) == s) { print $i; exit }
			}' "${lists[@]}")
	fi
	if [[ -z $uri ]] && ((${#sources[@]})); then
		# Paragraphs of "Field: value" lines; the first of several URIs wins.
		uri=$(awk -v s="$1" '
			BEGIN { RS = ""; FS = "\n" }
			{
				types = ""; uris = ""; suites = ""; enabled = "yes"
				for (i = 1; i <= NF; i++) {
					if ($i ~ /^#/ || !match($i, /^[A-Za-z-]+:/)) continue
					key = tolower(substr($i, 1, RLENGTH - 1))
					val = substr($i, RLENGTH + 1)
					gsub(/^[ \t]+|[ \t]+$/, "", val)
					if (key == "types") types = val
					else if (key == "uris") uris = val
					else if (key == "suites") suites = val
					else if (key == "enabled") enabled = tolower(val)
				}
				if (enabled == "no" || (" " types " ") !~ / deb /) next
				if (index(" " suites " ", " " s " ")) { split(uris, u, " "); print u[1]; exit }
			}' "${sources[@]}")
	fi
	printf '%s' "$uri"
}

# need_debootstrap installs debootstrap with apt when it is missing.
need_debootstrap() {
	if command -v debootstrap >/dev/null || [[ -x /usr/sbin/debootstrap ]]; then
		return
	fi
	command -v apt-get >/dev/null || die "debootstrap is missing and there is no apt-get to install it with"
	echo "installing debootstrap"
	if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap; then
		$SUDO apt-get update
		$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap
	fi
}

# ensure_rootfs PKG... sets rootfs_tarball to a cached tarball of a minbase
# $suite root filesystem with PKG and their dependencies installed, making
# it if needed. The cache key is the package list, suite, architecture and
# recipe; downloaded packages are kept too, so remaking one after changing
# the list fetches only what is new.
ensure_rootfs() {
	local pkgs key mirror dir r
	pkgs=$(rootfs_pkgs "$@")
	key=$(rootfs_key "$@")
	rootfs_tarball=$cache/rootfs/$suite-$debarch-$key.tar.$zext
	if [[ -s $rootfs_tarball ]]; then
		echo "rootfs: cached $rootfs_tarball"
		return
	fi
	need_debootstrap
	mirror=$(deb_mirror)
	echo "rootfs: $(date +%T) debootstrap $suite ($debarch) with $pkgs from $mirror"
	mkdir -p "$cache/debs" "$cache/rootfs"
	mktempdir dir
	r=$dir/rootfs
	$SUDO debootstrap --variant=minbase --arch="$debarch" --foreign \
		--include="$pkgs" --cache-dir="$cache/debs" "$suite" "$r" "$mirror"
	# Installed between the two stages, so that no maintainer script starts
	# a service inside the chroot; it stays in the image for the same reason.
	printf '#!/bin/sh\n# Never start services when packages are installed.\nexit 101\n' |
		$SUDO tee "$r/usr/sbin/policy-rc.d" >/dev/null
	$SUDO chmod 755 "$r/usr/sbin/policy-rc.d"
	echo "rootfs: $(date +%T) second stage"
	$SUDO env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C \
		chroot "$r" /debootstrap/debootstrap --second-stage
	unmount_under "$r"
	trim_rootfs "$r"
	echo "rootfs: $(date +%T) saving"
	$SUDO tar --numeric-owner -C "$r" -c . | "${zcomp[@]}" >"$rootfs_tarball.tmp.$$"
	mv "$rootfs_tarball.tmp.$$" "$rootfs_tarball"
	echo "rootfs: $(date +%T) saved $rootfs_tarball ($(du -h "$rootfs_tarball" | cut -f1))"
}

# rootfs_pkgs PKG... prints the package list in one canonical form.
rootfs_pkgs() {
	printf '%s\n' "$@" | LC_ALL=C sort -u | paste -sd, -
}

# rootfs_key PKG... prints the cache key of the root filesystem with PKG.
rootfs_key() {
	printf '%s\n' "recipe $rootfs_recipe" "suite $suite" "arch $debarch" \
		"variant minbase" "packages $(rootfs_pkgs "$@")" | digest
}

# trim_rootfs DIR removes what no container needs: package caches and lists,
# documentation (license files stay), manuals, translations, logs, and the
# build host's name and resolver settings (Docker provides its own).
trim_rootfs() {
	local r=$1
	$SUDO find "$r/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
	$SUDO find "$r/usr/share/doc" -mindepth 1 -type d -empty -delete
	$SUDO find "$r/var/log" -type f -delete
	$SUDO rm -rf "$r/usr/share/man" "$r/usr/share/info" "$r/usr/share/locale" \
		"$r/usr/share/i18n" "$r/usr/share/lintian" \
		"$r/var/cache/apt/archives" "$r/var/cache/apt/"*.bin "$r/var/lib/apt/lists" \
		"$r/etc/hostname" "$r/etc/resolv.conf"
	$SUDO mkdir -p "$r/var/cache/apt/archives/partial" "$r/var/lib/apt/lists/partial"
}

# extract_rootfs TARBALL sets rootfs_dir to a fresh temporary copy of the
# root filesystem in TARBALL, owners and modes kept.
extract_rootfs() {
	local dir
	mktempdir dir
	rootfs_dir=$dir/rootfs
	$SUDO mkdir "$rootfs_dir"
	"${zdecomp[@]}" "$1" | $SUDO tar --numeric-owner -C "$rootfs_dir" -x
}

# rootfs_id DIR USER prints USER's uid:gid in the root filesystem DIR.
rootfs_id() {
	local id
	id=$(awk -F: -v u="$2" '$1 == u { print $3 ":" $4 }' "$1/etc/passwd")
	[[ -n $id ]] || die "no user $2 in the root filesystem"
	printf '%s\n' "$id"
}

# import_rootfs DIR INSTRUCTION... imports DIR as a one-layer image with
# the Dockerfile INSTRUCTIONs (ENV, USER, ENTRYPOINT...) and the inputs
# label, and sets image_id. docker import takes most instructions as
# --change; the others (STOPSIGNAL, which older engines refuse there, and
# RUN) are applied by a build from the imported image, which adds a layer
# only for a RUN.
import_rootfs() {
	local dir=$1 i base ctx args=() later=()
	shift
	for i in "$@" "LABEL mimo-harness.inputs=$hash"; do
		case ${i%% *} in
		CMD | ENTRYPOINT | ENV | EXPOSE | LABEL | USER | WORKDIR) args+=(--change "$i") ;;
		*) later+=("$i") ;;
		esac
	done
	base=$($SUDO tar --numeric-owner -C "$dir" -c . |
		docker import "${args[@]}" --message "mimo-harness $hash" -)
	echo "imported $base"
	image_id=$base
	((${#later[@]})) || return 0
	# Named by a tag while the build runs: BuildKit, unlike the classic
	# builder, does not take an image ID in FROM.
	docker tag "$base" "$repo/import:$hash"
	mktempdir ctx
	ctx+=/context
	mkdir "$ctx"
	{
		printf 'FROM %s\n' "$repo/import:$hash"
		printf '%s\n' "${later[@]}"
	} >"$ctx/Dockerfile"
	docker_build "$ctx"
	docker image rm "$repo/import:$hash" >/dev/null
}
