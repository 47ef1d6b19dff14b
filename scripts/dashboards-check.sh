#!/usr/bin/env bash
# Checks dashboards/ with Prometheus's and Alertmanager's own tools: the
# scrape config, the alert rules and their unit tests (promtool), and the
# Alertmanager config with its routing and its commented receivers (amtool). Debian packages them as
# prometheus and prometheus-alertmanager. Without them the check is skipped
# with a message, except under CI=true, where it fails.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for tool in promtool amtool; do
	command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
	msg="dashboards-check: ${missing[*]} not found (Debian: apt-get install prometheus prometheus-alertmanager)"
	if [[ "${CI:-}" == "true" ]]; then
		echo "$msg" >&2
		exit 1
	fi
	echo "$msg; skipped" >&2
	exit 0
fi

promtool check config --syntax-only dashboards/prometheus/prometheus.yml
promtool check rules dashboards/prometheus/alerts.yml
promtool test rules dashboards/prometheus/alerts_test.yml
amtool check-config dashboards/alertmanager/alertmanager.yml

# Each severity reaches its own receiver.
for severity in critical warning; do
	amtool config routes test --config.file=dashboards/alertmanager/alertmanager.yml \
		--verify.receivers="$severity" severity="$severity" alertname=MimoAny 2>/dev/null >/dev/null ||
		{ echo "dashboards-check: severity=$severity does not reach receiver $severity" >&2; exit 1; }
done
# The Slack, PagerDuty and e-mail receivers a team may enable are valid once
# uncommented: every commented line that is YAML (a key, a list item, or a
# key's indented continuation) loses its "# ".
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed -E 's/^([[:space:]]*)# ([[:space:]]*(- )?[a-z_]+:( .*)?)$/\1\2/' \
	dashboards/alertmanager/alertmanager.yml >"$tmp/alertmanager.yml"
grep -q '^    slack_configs:' "$tmp/alertmanager.yml" ||
	{ echo "dashboards-check: no commented Slack receiver found to check" >&2; exit 1; }
echo "Alertmanager's commented receivers, uncommented:"
amtool check-config "$tmp/alertmanager.yml"
echo "dashboards-check: ok"
