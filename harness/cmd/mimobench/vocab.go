package main

import "strings"

// The word lists the synthetic corpus and the queries are built from. They
// are large enough (a few thousand distinct words once project names are
// combined) that the full-text index and the vector index see a realistic
// spread of terms rather than a handful repeated a million times. Changing
// any list changes every generated memory: the corpus is only reproducible
// for one version of this file.
var (
	people = strings.Fields(`
Aaron Abigail Adam Adrian Aisha Alan Alex Alice Amara Amir Ana Andre Andrea Anna Arjun Ava
Beatriz Ben Bianca Boris Brian Bruno Camila Carlos Carmen Chen Chloe Chris Clara Daniel Dara
David Diego Dmitri Elena Eli Emma Eric Esther Ethan Fatima Felix Fiona Gabriel Grace Hana
Hannah Hugo Ibrahim Ines Isaac Ivan Jack Jade James Jana Javier Jin Joao Jonas Jordan Julia
Kai Karim Kate Kenji Lars Laura Leila Leo Liam Lina Lucas Luis Maya Mei Mia Miguel Mila Nadia
Naomi Nina Noah Nora Olga Omar Oscar Pablo Paula Pedro Priya Rafael Rahul Rania Ravi Rosa
Ruth Sam Sara Sofia Stefan Tariq Tess Theo Tom Uma Vera Victor Wei Yara Yusuf Zara Zoe`)

	teams = strings.Fields(`
platform infrastructure payments billing growth search identity security data analytics
mobile frontend backend reliability support onboarding checkout catalog inventory logistics
compliance finance marketing design research tooling release observability networking storage
messaging notifications pricing partnerships localization accessibility experimentation`)

	projectHeads = strings.Fields(`
atlas beacon cobalt delta ember falcon granite harbor iris juniper kestrel lumen meridian
nimbus onyx pioneer quartz raven sable tundra umbra vector willow xenon yonder zephyr aurora
basalt cedar drift echo fjord glacier helix indigo jasper krypton lotus mosaic nova orbit
prism quill ripple sierra topaz unity vortex wren apex bramble canyon dune`)

	projectTails = strings.Fields(`
api gateway worker scheduler indexer ingest exporter portal dashboard console service proxy
router bridge agent collector sync store cache relay pipeline engine hub monitor auth ledger
mailer notifier uploader crawler`)

	techs = strings.Fields(`
Postgres MySQL SQLite Redis Memcached Kafka RabbitMQ NATS Kubernetes Docker Helm Terraform
Ansible Nginx Envoy Caddy HAProxy Prometheus Grafana Loki Jaeger OpenTelemetry Elasticsearch
OpenSearch ClickHouse Cassandra MongoDB DynamoDB S3 GCS Lambda Fargate Vault Consul etcd
Zookeeper Airflow Spark Flink Hadoop Snowflake BigQuery dbt Go Rust Python TypeScript
JavaScript Java Kotlin Swift Ruby Elixir Scala Haskell Zig React Vue Svelte Angular Django
Flask FastAPI Rails Phoenix Spring Express Nextjs Webpack Vite Bazel Gradle Maven npm pnpm
GitHub GitLab Jenkins Buildkite ArgoCD Flux Istio Linkerd Cilium Calico WireGuard OpenSSL
gRPC GraphQL protobuf Avro Parquet JSON YAML TOML SQL Sentry PagerDuty Slack Jira Confluence
Figma Notion Stripe Twilio SendGrid Auth0 Okta Keycloak Cloudflare Fastly Akamai Vercel Heroku
Linux Debian Ubuntu Alpine macOS Windows FreeBSD systemd cron tmux Vim Emacs VSCode IntelliJ
Neovim Zsh Bash Git pytest Jest Playwright Cypress Selenium k6 Locust Pulumi Packer Nomad`)

	environments = strings.Fields(`
production staging development sandbox preview canary qa demo testing integration`)

	components = strings.Fields(`
cache queue scheduler database replica primary index migration schema endpoint handler
middleware controller job cronjob webhook listener consumer producer topic partition shard
bucket volume cluster node pod container image registry secret certificate token session
cookie header payload request response timeout retry backoff lock mutex transaction cursor
connection pool socket stream buffer parser serializer template renderer layout component
hook reducer store router form modal button table chart graph query mutation resolver
subscription workflow pipeline stage step artifact build release tag branch commit
changelog manifest config flag toggle rollout dashboard alert metric trace span log
quota limit budget invoice receipt ledger account profile avatar preference setting`)

	nouns = strings.Fields(`
ability absence access account accuracy achievement acquisition action activity adapter
addition address adjustment admin advantage advice agenda agreement algorithm allocation
allowance alternative amount analysis anchor angle announcement answer anomaly approach
approval architecture archive area argument arrangement article aspect assessment asset
assignment assistant assumption attachment attempt attention attribute audience audit
author automation availability average awareness backlog balance bandwidth banner barrier
baseline basis batch behaviour benchmark benefit bias bill blocker blueprint board body
bonus boundary bracket brand breakdown brief browser budget bug bundle burden business
calendar call campaign candidate capacity caption card career category cause ceiling
center chain challenge change channel chapter character charge checklist choice circle
claim class clause client code collection column comment commitment committee community
comparison compatibility complaint completion complexity compromise concept concern
conclusion condition conference confidence conflict consensus consequence constraint
contact content context contract contribution control convention conversation copy core
cost count coverage credit criteria criticism culture currency customer cycle damage data
deadline debt decision default defect definition degree delay delivery demand demo
density dependency deployment deposit depth description design detail detection
developer device diagram difference difficulty dimension direction discount discovery
discussion display distance distribution document domain draft driver duplicate duration
duty edge edition editor effect efficiency effort element email emphasis employee
encoding encryption energy engineer enterprise entry environment episode error estimate
evaluation event evidence exception exchange execution exercise expectation expense
experience experiment expert explanation export exposure expression extension extract
facility factor failure feature feedback fee field figure file filter finding fix
flexibility flow focus folder font footprint forecast format formula foundation fraction
framework frequency friction function fund gap gateway goal grade grant granularity
guarantee guess guide guideline habit handoff hardware headline health height history
holiday host hour hypothesis icon idea identity impact implementation import improvement
incident income increase indicator industry information infrastructure initiative input
insight installation instance instruction insurance integration intent interest interface
interval interview introduction inventory investment invitation issue item iteration
journey judgement key keyboard knowledge label language latency launch layer lead leak
lesson letter level library licence lifecycle limitation line link list load location
logic loss maintenance majority manager margin market match material matrix measure
mechanism meeting member memory mention menu message method metric milestone minimum
mistake mode model module moment momentum month motivation movement network newsletter
note notice notification number objective obligation observation offer office offset
opinion opportunity option order organisation origin outage outcome outline output
overhead owner ownership package page pain pair panel paragraph parameter part partner
password patch path pattern payment peak penalty percentage performance period permission
person perspective phase phone picture pilot plan platform player policy portfolio
position post potential practice precision prediction preference premium presentation
pressure price priority privacy problem procedure process product productivity profit
program progress project promise proof property proposal protocol prototype provider
purchase purpose quality quantity question queue quota range rank rate ratio reason
recommendation record recovery reduction reference refund region regression relationship
reliability reminder report repository request requirement research reservation resource
response responsibility result retention retrospective revenue review revision reward
risk roadmap role rollback room root rule runbook safety salary sample savings scale
schedule scope score screen script season section sector segment selection sentence
sequence server session severity share shift shortcut signal signature simulation site
size skill slot snapshot software solution source space specification speed spike
sponsor spreadsheet sprint stability staff stakeholder standard standup statement status
step storage story strategy strength structure style subject submission subscription
success suggestion summary supplier support surface survey symptom syntax system target
task team technique template tenant term test text theme threshold ticket timeline
timestamp tool topic total trade traffic training transfer transition translation trend
trial trigger trust tutorial type update upgrade usage user utility validation value
variable variant vendor version video view vision volume vulnerability warning week
weight widget window wording workaround workload workshop workspace year`)

	verbsPast = strings.Fields(`
added adjusted analysed approved archived asked assigned audited automated backfilled
benchmarked blocked broke built bumped cached cancelled changed checked cleaned cleared
closed collected compared compiled completed compressed configured confirmed consolidated
copied corrected created debugged decided declined decommissioned decoupled deduplicated
delayed deleted delivered deployed deprecated designed detected disabled discovered
documented doubled downgraded drafted dropped duplicated edited enabled encrypted ended
escalated estimated evaluated exported extended extracted fixed flagged forked found
generated granted grouped halved handled hardened hid identified implemented imported
improved increased indexed inspected installed integrated introduced investigated isolated
joined launched limited linked loaded localised locked logged lost measured merged
migrated mirrored missed modelled monitored moved muted noticed normalised notified
observed opened optimised paged paired parsed patched paused pinned planned polished
postponed prepared presented prioritised profiled promoted proposed provisioned published
pulled pushed queued raised rebased rebuilt received recorded recovered redesigned
reduced refactored refreshed rejected released reloaded removed renamed reopened repaired
replaced replayed replicated reported requested rescheduled reset resized resolved
restarted restored restricted resumed retired retried reverted reviewed rewrote rolled
rotated sampled scaled scheduled scoped secured sent separated shipped shortened signed
simplified skipped sliced slowed solved sorted split stabilised staged started stopped
streamlined submitted summarised supported suspended swapped synced tagged tested throttled
timed traced tracked trained transferred translated triaged trimmed tuned unblocked
uncovered unified uninstalled unpinned updated upgraded uploaded validated verified
versioned warned wrapped wrote`)

	verbsBase = strings.Fields(`
add adjust analyse approve archive audit automate backfill benchmark build bump cache
cancel change check clean clear close collect compare compile complete compress configure
confirm consolidate copy correct create debug decide decommission decouple deduplicate
delete deliver deploy deprecate design detect disable document downgrade draft drop edit
enable encrypt escalate estimate evaluate export extend extract fix flag generate group
harden identify implement import improve increase index inspect install integrate
introduce investigate isolate launch limit link load localise lock log measure merge
migrate mirror model monitor move normalise notify observe optimise pair parse patch
pause pin plan polish postpone prepare present prioritise profile promote propose
provision publish pull push queue raise rebase rebuild record recover redesign reduce
refactor refresh reject release reload remove rename repair replace replay replicate
report request reschedule reset resize resolve restart restore restrict resume retire
retry revert review rewrite rotate sample scale schedule secure send separate ship
shorten simplify split stabilise stage start stop streamline submit summarise support
suspend swap sync tag test throttle trace track train transfer translate triage trim
tune unblock unify update upgrade upload validate verify version wrap`)

	adjectives = strings.Fields(`
accurate active additional advanced aggressive ambiguous annual anonymous automatic
available average awkward backward basic better bigger binary blocking brittle broken
busy careful casual central cheap clean clear clever cold common compact complete complex
compressed concurrent conservative consistent constant correct costly critical crucial
current custom daily dangerous dark dated dedicated deep default defensive delayed
dense dependent detailed different difficult digital direct dirty distinct distributed
dormant double duplicate dynamic early easy efficient elaborate elastic empty encrypted
endless enormous entire equal essential eventual exact excessive exclusive existing
expensive experimental explicit exponential external extra failed fair familiar fast
fatal faulty final fine first fixed flaky flat flexible fragile free frequent fresh full
functional generic gentle global good graceful gradual granular great green hard heavy
helpful hidden high hot huge hybrid idle immediate immutable implicit important
incomplete incorrect incremental independent indirect informal initial inline internal
intermittent invalid isolated large late lazy lean legacy lengthy light lightweight
likely limited linear live local logical long loose lost loud low main major manual
massive mature maximum measurable medium messy minimal minor missing mobile modern
modular monthly multiple mutable narrow native natural nearby necessary negative nested
new next nightly noisy nominal normal noticeable novel obsolete obvious occasional odd
offline old online open optional ordinary original orphaned outdated overdue parallel
partial passive past peak pending perfect periodic permanent persistent personal plain
pleasant polite popular portable positive possible practical precise predictable
preferred premature previous primary prior private proactive productive proper public
quarterly quick quiet random rapid rare raw readable ready real recent recurring
redundant regional regular relevant reliable remote repeated required resilient
responsive restricted reusable reverse rich rigid robust rough routine safe scalable
scarce scheduled seamless secondary secret secure senior sensitive separate serial
severe shallow shared sharp short silent similar simple single skewed slow small smooth
soft solid sparse specific stable stale standard static steady steep strict strong
subtle sudden sufficient suitable surprising suspicious synchronous tangled technical
temporary tense thin tight tiny total transient transparent tricky trivial typical ugly
unclear unexpected uniform unique unknown unnecessary unstable unused unusual urgent
useful valid variable verbose visible vital volatile warm weak weekly wide wrong yearly
young`)

	adverbs = strings.Fields(`
again already always carefully clearly completely currently daily eventually finally
frequently fully gradually immediately initially instead later manually mostly nearly
never nightly occasionally often partially previously quickly rarely recently regularly
repeatedly roughly safely sometimes soon still suddenly temporarily together twice
unexpectedly usually weekly yesterday`)

	topics = strings.Fields(`
accessibility analytics authentication authorization autocomplete autoscaling billing
branding caching captcha checkout compliance compression concurrency consent cookies
dashboards deduplication dependencies documentation encryption exports fonts forecasting
fraud geolocation hiring holidays indexing invoicing keyboard-shortcuts licensing
localization logging markdown mentoring metrics migrations monitoring naming
notifications observability offboarding onboarding pagination passwords payroll
permissions pricing privacy profiling ratelimiting refunds relocation reporting
retention retries routing sampling search security sharding signups sorting spellcheck
taxes telemetry testing theming timezones tracing translations typography uploads
versioning webhooks`)

	preferences = strings.Fields(`
tabs spaces dark-mode light-mode short-answers long-answers bullet-points tables
metric-units imperial-units British-spelling American-spelling early-meetings
late-meetings async-updates video-calls written-specs small-commits squash-merges
rebase-merges code-reviews pair-programming trunk-based-development feature-branches
monorepos polyrepos type-hints strict-linting verbose-logs quiet-logs green-tea
black-coffee standing-desks keyboard-navigation vim-bindings emacs-bindings`)

	places = strings.Fields(`
Amsterdam Athens Austin Bangalore Barcelona Berlin Bogota Boston Brussels Budapest
Cairo CapeTown Chicago Copenhagen Dallas Denver Dubai Dublin Edinburgh Frankfurt Geneva
Hamburg Helsinki HongKong Istanbul Jakarta Johannesburg Kyiv Lagos Lima Lisbon London
Madrid Manila Melbourne MexicoCity Milan Montreal Mumbai Munich Nairobi Oslo Paris Porto
Prague Rome Santiago SaoPaulo Seattle Seoul Shanghai Singapore Stockholm Sydney Taipei
Tokyo Toronto Vancouver Vienna Warsaw Zurich`)

	weekdays = strings.Fields(`Monday Tuesday Wednesday Thursday Friday Saturday Sunday`)

	months = strings.Fields(`
January February March April May June July August September October November December`)

	fileNames = strings.Fields(`
main.go server.go handler.go config.yaml values.yaml Dockerfile Makefile README.md
package.json tsconfig.json schema.sql migrations.sql index.ts app.tsx routes.py
settings.py models.py Cargo.toml go.mod docker-compose.yml nginx.conf deploy.sh
ci.yml terraform.tfvars main.tf variables.tf pom.xml build.gradle Gemfile mix.exs
.env.example CHANGELOG.md CONTRIBUTING.md LICENSE openapi.yaml`)

	reasons = strings.Fields(`
misconfigured expired exhausted overloaded unreachable corrupted throttled deadlocked
saturated mislabelled truncated undersized oversized unindexed unpatched outdated
leaking flapping stuck starved`)

	sources = strings.Fields(`chat tool file web agent email ticket meeting`)

	tagWords = strings.Fields(`
infra deploy billing auth security perf bug incident decision preference todo idea
meeting customer design docs api database frontend backend mobile release testing
oncall postmortem roadmap hiring budget compliance privacy ux research data ml search
cache network storage monitoring alerting migration refactor dependency upgrade
onboarding support sales legal finance travel personal health learning reading
writing tooling ci cd review`)
)
