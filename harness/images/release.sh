# shellcheck shell=bash
# release.sh: Mimo's image as it was at a git ref, for the rollback drill
# (scenarios/rollback) and for an operator rolling back (the Quick Rollback
# of docs/ROLLBACK_PROCEDURE.md). Sourced by build.sh (build.sh --ref REF),
# never run.
#
# A release is named by the commit that last changed Mimo's sources
# (go.mod, go.sum, system/) at REF, so every commit between two such
# changes names the same release. Its image is tagged
# mimo-harness/mimo:SHA12 (that commit's first 12 hex digits) and never
# mimo-harness/mimo:latest, and labelled with the commit, its version and
# the hash of its inputs. An image with the same inputs is reused (tagged,
# not rebuilt), so CI builds each release once per cache.
#
# REF "previous" is the release before the checkout's own: the newest
# commit on HEAD's first-parent line, before the one that last changed
# Mimo's sources, that changed them too. It needs the repository's full
# history (a shallow clone is refused).

release_paths=(go.mod go.sum system)
# The label naming the commit a release image was built from; build.sh's
# prune leaves images carrying it alone.
release_label=mimo-harness.release
# How many release images are kept; older ones are removed after a build.
release_keep=${MIMO_IMAGES_RELEASES_KEPT:-3}

# release_git ARGS... runs git in the repository.
release_git() { git -C "$root" "$@"; }

# resolve_release REF prints the commit that last changed Mimo's sources
# at REF ("previous": see above).
resolve_release() {
	local ref=$1 cur c rev
	command -v git >/dev/null || die "--ref needs git"
	release_git rev-parse --git-dir >/dev/null 2>&1 || die "--ref needs a git repository at $root"
	[[ $(release_git rev-parse --is-shallow-repository) == false ]] ||
		die "--ref $ref needs the repository's full history; this clone is shallow (git fetch --unshallow)"
	if [[ $ref == previous ]]; then
		cur=$(release_git rev-list -1 --first-parent HEAD -- "${release_paths[@]}")
		[[ -n $cur ]] || die "no commit changed Mimo's sources (${release_paths[*]})"
		rev=$(release_git rev-list -1 --first-parent "$cur^" -- "${release_paths[@]}" 2>/dev/null || true)
		[[ -n $rev ]] || die "no release before $(release_git rev-parse --short=12 "$cur"): it is the first commit that changed Mimo's sources"
	else
		c=$(release_git rev-parse --verify -q "$ref^{commit}") || die "--ref $ref: not a commit of this repository"
		rev=$(release_git rev-list -1 "$c" -- "${release_paths[@]}")
		[[ -n $rev ]] || die "--ref $ref: Mimo's sources do not exist at that commit"
	fi
	printf '%s\n' "$rev"
}

# release_inputs REV VERSION describes the image of the release REV: the
# objects of its sources (git's content hashes), the recipe, Go and the CA
# bundle.
release_inputs() {
	printf 'arch %s\n' "$goarch"
	printf '%s\n' harness/images/build.sh harness/images/lib.sh harness/images/release.sh \
		harness/images/mimo/Dockerfile | file_digests
	printf 'version %s\n' "$2"
	go version
	printf 'ca-certificates %s\n' "$(sha256sum <"$ca_bundle" | cut -d' ' -f1)"
	local p
	for p in "${release_paths[@]}"; do
		printf '%s %s\n' "$(release_git rev-parse "$1:$p")" "$p"
	done
}

# build_release REF builds (or finds) the image of the release at REF and
# prints its one line, as build_image does.
build_release() {
	local rev short version tag start found src old
	start=$(now)
	current_log=
	image_id=
	[[ -f $ca_bundle ]] || die "no $ca_bundle on this machine (install ca-certificates)"
	rev=$(resolve_release "$1")
	short=$(release_git rev-parse --short=12 "$rev")
	version=$(release_git describe --tags --always "$rev")
	hash=$(release_inputs "$rev" "$version" | digest)
	tag=$repo/mimo:$short
	if ! $force; then
		if [[ $(docker image inspect -f '{{index .Config.Labels "mimo-harness.inputs"}}' "$tag" 2>/dev/null) == "$hash" ]]; then
			report cached "$tag" "$start" "($version)"
			return
		fi
		found=$(docker image ls -q --filter "label=mimo-harness.inputs=$hash" --filter "label=$release_label" | head -n1)
		if [[ -n $found ]]; then
			docker tag "$found" "$tag"
			report cached "$tag" "$start" "($version)"
			return
		fi
	fi
	current_log=$cache/logs/mimo-$short.log
	if $verbose; then current_log=/dev/stderr; else : >"$current_log"; fi
	{
		echo "== mimo at $rev ($version) $hash"
		mktempdir src
		# Only Mimo's sources: the module builds from them alone.
		release_git archive --format=tar "$rev" -- "${release_paths[@]}" | tar -x -C "$src"
		mimo_build_from "$src" "$version" "$release_label=$rev" "mimo-harness.version=$version"
		mimo_smoke "$image_id"
	} >>"$current_log" 2>&1
	old=$(docker image inspect -f '{{.Id}}' "$tag" 2>/dev/null || true)
	docker tag "$image_id" "$tag"
	# The image the tag named before (older inputs), now untagged.
	[[ -z $old || $old == "$image_id" ]] || docker image rm "$old" >>"$current_log" 2>&1 || true
	prune_releases >>"$current_log" 2>&1
	cleanup
	current_log=
	report built "$tag" "$start" "($version)"
}

# prune_releases removes all but the newest $release_keep release images,
# except any that a container still uses.
prune_releases() {
	local ref
	docker image ls --filter "label=$release_label" --format '{{.Repository}}:{{.Tag}}' "$repo/mimo" |
		tail -n +$((release_keep + 1)) | while read -r ref; do
		docker image rm "$ref" || echo "kept $ref (in use)"
	done
}
