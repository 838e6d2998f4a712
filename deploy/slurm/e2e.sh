#!/usr/bin/env bash
# End-to-end test of deploy/slurm on a real single-node SLURM cluster brought
# up on this machine, without systemd:
#   1. installs Debian's slurm-wlm and munge if they are missing (apt-get);
#   2. starts its own munged (as the munge user, with the package's key, on a
#      private socket), writes a slurm.conf into a temporary directory and
#      starts slurmctld and slurmd on localhost (on free ports);
#   3. submits, through submit.sh --wait, a 4-task job array of examples/sample
#      shards and the merge job that depends on it (afterok);
#   4. runs the same 4 shards one after another outside SLURM and merges them;
#   5. checks that the two merged datasets (.npy and .geom.json) are
#      byte-identical (cmp), prints PASS or FAIL and exits 0 or 1.
# It stops the daemons it started, by their PIDs, on every exit path, and
# removes its temporary directory.
#
# Usage: sudo deploy/slurm/e2e.sh        (about 15 s once the packages are there)
# Needs root (it installs packages and starts daemons) and Go. If it cannot
# run here (not root, or SLURM missing and no apt-get) it says why and exits
# with status 77.
# Environment:
#   RSMI_E2E_KEEP=1       keep the temporary directory (configs, logs, data)
#   RSMI_E2E_CORRUPT=K    flip one spin of the serial run's shard K before its
#                         merge: a self-test of the comparison, which must FAIL
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
readonly shards=4 model=ising2d L=16 T=2.269185 samples=400 seed=2024 chains=1

t0=${EPOCHREALTIME/./}
say() {
	local us=$((${EPOCHREALTIME/./} - t0))
	printf '[e2e %3d.%ds] %s\n' $((us / 1000000)) $((us / 100000 % 10)) "$*"
}
skip() {
	say "SKIP: $*"
	exit 77
}
fail() {
	say "FAIL: $*"
	exit 1
}

# ---- can it run here? -------------------------------------------------------
if ((EUID != 0)); then
	skip "needs root, to install slurm-wlm/munge and start munged, slurmctld and slurmd (running as uid $EUID)"
fi
command -v go >/dev/null || fail "go is not on PATH (needed to build examples/sample)"
needed=(munged munge unmunge slurmctld slurmd sbatch squeue scontrol sinfo)
missing=()
for c in "${needed[@]}"; do
	command -v "$c" >/dev/null || missing+=("$c")
done
if ((${#missing[@]} > 0)); then
	command -v apt-get >/dev/null ||
		skip "SLURM is not installed (missing: ${missing[*]}) and there is no apt-get to install Debian's slurm-wlm and munge"
	say "installing slurm-wlm and munge (missing: ${missing[*]})"
	# Keep the packages' maintainer scripts from starting services: this test
	# starts its own daemons and stops only those.
	policy=/usr/sbin/policy-rc.d
	made_policy=
	if [[ ! -e $policy ]]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		made_policy=1
	fi
	apt_ok=
	for try in 1 2 3; do
		if apt-get -o DPkg::Lock::Timeout=600 -qq update &&
			DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -y -qq \
				install --no-install-recommends slurm-wlm munge >/dev/null; then
			apt_ok=1
			break
		fi
		say "apt-get failed (try $try of 3)"
		sleep 10
	done
	[[ -z $made_policy ]] || rm -f "$policy"
	[[ -n $apt_ok ]] || fail "could not install slurm-wlm and munge with apt-get"
fi
say "$(slurmctld -V), $(munged -V 2>&1 | awk '{print $1; exit}')"

# ---- clean-up: only what this script started, by PID ------------------------
tmp=$(mktemp -d /tmp/rsmi-slurm-e2e.XXXXXX)
chmod 755 "$tmp" # munged (as munge) must reach its directory below
munge_pidfile=/run/munge/rsmi-e2e-$$.pid
munge_socket=/run/munge/rsmi-e2e-$$.socket
munged_started='' munged_pid='' ctld_pid='' slurmd_pid='' show_logs=1

stop_pid() { # stop_pid NAME PID: SIGTERM, up to 15 s, then SIGKILL
	local name=$1 pid=$2
	if ! kill -0 "$pid" 2>/dev/null; then
		wait "$pid" 2>/dev/null || true
		say "$name (pid $pid) had already exited"
		return 0
	fi
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 150); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		say "$name (pid $pid) ignored SIGTERM; sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true # reap it if it is our child
	say "stopped $name (pid $pid)"
}

cleanup() {
	local rc=$?
	set +e
	trap - EXIT INT TERM ERR
	if [[ -n $ctld_pid ]] && kill -0 "$ctld_pid" 2>/dev/null; then
		# jobs still queued or running (after a failure): cancel them and give
		# slurmd a moment to end their processes
		if [[ -n $(squeue -h -o %i 2>/dev/null) ]]; then
			say "cancelling the jobs still in the queue"
			scancel --user="$(id -un)" 2>/dev/null
			for _ in $(seq 50); do
				[[ -z $(squeue -h -o %i 2>/dev/null) ]] && break
				sleep 0.2
			done
		fi
	fi
	if ((rc != 0 && show_logs)); then
		for f in "$tmp"/log/*.log "$tmp"/slurm/logs/*; do
			[[ -f $f ]] || continue
			say "---- last lines of $(basename "$f")"
			tail -n 15 "$f"
		done
	fi
	[[ -z $slurmd_pid ]] || stop_pid slurmd "$slurmd_pid"
	[[ -z $ctld_pid ]] || stop_pid slurmctld "$ctld_pid"
	if [[ -n $munged_started && -z $munged_pid && -s $munge_pidfile ]]; then
		munged_pid=$(<"$munge_pidfile") # interrupted before it was read below
	fi
	[[ -z $munged_pid ]] || stop_pid munged "$munged_pid"
	rm -f "$munge_socket" "$munge_socket.lock" "$munge_pidfile"
	if [[ -n ${RSMI_E2E_KEEP:-} ]]; then
		say "kept $tmp"
	else
		rm -rf "$tmp"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'say "FAIL: line $LINENO: \"$BASH_COMMAND\" exited with status $?"' ERR
trap 'say "FAIL: interrupted (SIGINT)"; exit 130' INT
trap 'say "FAIL: terminated (SIGTERM)"; exit 143' TERM

# ---- munge ------------------------------------------------------------------
install -d -o munge -g munge -m 0755 /run/munge
chown munge:munge /run/munge
install -d -o munge -g munge -m 0700 "$tmp/munge"
if [[ ! -s /etc/munge/munge.key ]]; then
	say "no /etc/munge/munge.key: creating one"
	runuser -u munge -- mungekey --create --keyfile=/etc/munge/munge.key
fi
munged_started=1
runuser -u munge -- munged --socket="$munge_socket" --pid-file="$munge_pidfile" \
	--log-file="$tmp/munge/munged.log" --seed-file="$tmp/munge/munged.seed"
for _ in $(seq 100); do
	[[ -s $munge_pidfile ]] && break
	sleep 0.1
done
[[ -s $munge_pidfile ]] || fail "munged wrote no pid file ($(cat "$tmp/munge/munged.log" 2>/dev/null))"
munged_pid=$(<"$munge_pidfile")
[[ $munged_pid =~ ^[0-9]+$ && $(cat "/proc/$munged_pid/comm" 2>/dev/null) == munged ]] ||
	fail "$munge_pidfile names no running munged (it holds '$munged_pid')"
munge -n --socket="$munge_socket" | unmunge --socket="$munge_socket" >/dev/null ||
	fail "munge credentials do not round-trip through $munge_socket"
say "munged running as munge (pid $munged_pid, socket $munge_socket)"

# ---- slurm.conf, slurmctld, slurmd ------------------------------------------
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
ctld_port=
for _ in $(seq 50); do
	p=$((20000 + RANDOM % 20000))
	if port_free "$p" && port_free $((p + 1)); then
		ctld_port=$p
		break
	fi
done
[[ -n $ctld_port ]] || fail "found no two free consecutive TCP ports"

node_line=$(slurmd -C | grep '^NodeName=')
node=${node_line#NodeName=}
node=${node%% *}
mkdir -p "$tmp"/{state,spool,log,run}
export SLURM_CONF=$tmp/slurm.conf
cat >"$SLURM_CONF" <<CONF
# single-node test cluster of deploy/slurm/e2e.sh
ClusterName=rsmie2e
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$((ctld_port + 1))
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$munge_socket
CredType=cred/munge
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/run/slurmctld.pid
SlurmdPidFile=$tmp/run/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MailProg=/bin/true
MpiDefault=none
SchedulerParameters=batch_sched_delay=0
$node_line NodeAddr=127.0.0.1
PartitionName=e2e Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF

# In the foreground (-D), so $! is the daemon's PID, and in a session of
# their own (setsid execs without forking here), so a Ctrl-C on the terminal
# reaches this script, which then stops them in order.
setsid slurmctld -D -f "$SLURM_CONF" >"$tmp/log/slurmctld.out" 2>&1 &
ctld_pid=$!
setsid slurmd -D -f "$SLURM_CONF" >"$tmp/log/slurmd.out" 2>&1 &
slurmd_pid=$!
say "slurmctld (pid $ctld_pid, port $ctld_port) and slurmd (pid $slurmd_pid) started; node: $node_line"
state=
for _ in $(seq 300); do
	kill -0 "$ctld_pid" 2>/dev/null || fail "slurmctld exited ($(tail -n 3 "$tmp/log/slurmctld.out"))"
	kill -0 "$slurmd_pid" 2>/dev/null || fail "slurmd exited ($(tail -n 3 "$tmp/log/slurmd.out"))"
	state=$(sinfo -h -N -n "$node" -o %T 2>/dev/null || true)
	[[ $state == idle ]] && break
	sleep 0.2
done
[[ $state == idle ]] || fail "node $node is not idle after 60 s (state '$state')"
for d in "slurmctld $ctld_pid" "slurmd $slurmd_pid"; do
	[[ $(cat "/proc/${d#* }/comm" 2>/dev/null) == "${d% *}" ]] || fail "pid ${d#* } is not ${d% *}"
done
say "node $node is idle"

# ---- the run under SLURM ----------------------------------------------------
say "building examples/sample once"
(cd "$repo" && go build -o "$tmp/bin/sample" ./examples/sample)
export RSMI_BIN=$tmp/bin/sample RSMI_NSHARDS=$shards RSMI_MODEL=$model RSMI_L=$L RSMI_T=$T \
	RSMI_SAMPLES=$samples RSMI_SEED=$seed RSMI_CHAINS=$chains RSMI_ARGS=
unset RSMI_TASKS RSMI_SBATCH_ARGS
say "submitting $shards shards and the merge: submit.sh --wait"
ts=${EPOCHREALTIME/./}
submit_rc=0
RSMI_OUT=$tmp/slurm timeout --foreground 600 "$here/submit.sh" --wait 2>&1 | sed 's/^/    /' || submit_rc=${PIPESTATUS[0]}
slurm_s=$(((${EPOCHREALTIME/./} - ts) / 1000))
say "submit.sh --wait returned status $submit_rc after $((slurm_s / 1000)).$((slurm_s / 100 % 10)) s (submission of both jobs to the end of the merge)"

say "jobs as slurmctld holds them (squeue -t all; scontrol show job):"
fmt='%.8i %.10F %.6K %.12j %.10T %.8M %.10r %N'
{ squeue -t all -o "$fmt" | head -n 1 && squeue -t all -h -o "$fmt" | sort -V; } | sed 's/^/    /'
errors=()
rows=() min_start='' max_end='' merge_start='' merge_end='' n_tasks=0
while read -r line; do
	declare -A job=()
	read -r -a kvs <<<"$line"
	for kv in "${kvs[@]}"; do
		[[ $kv == *=* ]] && job[${kv%%=*}]=${kv#*=}
	done
	rows+=("$(printf '%s %5s\t    JobId=%-4s ArrayJobId=%-4s ArrayTaskId=%-3s JobName=%-10s JobState=%-9s ExitCode=%s StartTime=%s EndTime=%s' \
		"${job[JobName]}" "${job[ArrayTaskId]:--}" "${job[JobId]}" "${job[ArrayJobId]:--}" "${job[ArrayTaskId]:--}" "${job[JobName]}" "${job[JobState]}" \
		"${job[ExitCode]}" "${job[StartTime]}" "${job[EndTime]}")")
	[[ ${job[JobState]} == COMPLETED && ${job[ExitCode]} == 0:0 ]] ||
		errors+=("job ${job[JobId]} (${job[JobName]}) ended ${job[JobState]} with exit code ${job[ExitCode]}")
	case ${job[JobName]} in
	rsmi-shard)
		n_tasks=$((n_tasks + 1))
		[[ ${job[EndTime]} > $max_end ]] && max_end=${job[EndTime]}
		[[ -z $min_start || ${job[StartTime]} < $min_start ]] && min_start=${job[StartTime]}
		;;
	rsmi-merge) merge_start=${job[StartTime]} merge_end=${job[EndTime]} ;;
	esac
	unset job
done < <(scontrol -o show job)
printf '%s\n' "${rows[@]}" | sort | cut -f2-
((submit_rc == 0)) || errors+=("submit.sh --wait exited with status $submit_rc")
((n_tasks == shards)) || errors+=("$n_tasks array tasks instead of $shards")
[[ -n $merge_start ]] || errors+=("no merge job")
[[ -z $merge_start || ! $merge_start < $max_end ]] ||
	errors+=("the merge started at $merge_start, before the last shard ended ($max_end)")
if ((${#errors[@]} > 0)); then
	for e in "${errors[@]}"; do say "problem: $e"; done
	fail "the SLURM run did not complete as expected (${#errors[@]} problems above)"
fi
say "all $shards array tasks and the merge COMPLETED with exit code 0; the merge started after the last shard ended"
say "in slurmctld's clock: first shard started $min_start, merge ended $merge_end ($(($(date -d "$merge_end" +%s) - $(date -d "$min_start" +%s))) s; times in whole seconds)"
say "merge summary: $(cat "$tmp/slurm/merged.json")"
show_logs=0 # SLURM did its part; from here on its logs explain nothing

# ---- the same shards one after another, outside SLURM -----------------------
say "running the same $shards shards one after another on this machine, then merging"
ts=${EPOCHREALTIME/./}
for ((k = 0; k < shards; k++)); do
	env -u SLURM_JOB_ID SLURM_ARRAY_TASK_ID=$k RSMI_OUT="$tmp/serial" bash "$here/shard.sbatch" >/dev/null
done
if [[ -n ${RSMI_E2E_CORRUPT:-} ]]; then
	f=$tmp/serial/shards/shard-$RSMI_E2E_CORRUPT.npy
	[[ -f $f ]] || fail "RSMI_E2E_CORRUPT=$RSMI_E2E_CORRUPT: no such shard"
	size=$(stat -c %s "$f")
	last=$(tail -c 1 "$f" | od -An -tu1 | tr -d ' ')
	flip='\001'
	[[ $last == 1 ]] && flip='\377'
	printf '%b' "$flip" | dd of="$f" bs=1 seek=$((size - 1)) conv=notrunc status=none
	say "RSMI_E2E_CORRUPT: flipped the last spin of the serial run's shard $RSMI_E2E_CORRUPT (self-test: this run must FAIL)"
fi
RSMI_OUT=$tmp/serial bash "$here/merge.sbatch" >/dev/null
serial_s=$(((${EPOCHREALTIME/./} - ts) / 1000))
say "serial run finished in $((serial_s / 1000)).$((serial_s / 100 % 10)) s"

# ---- byte comparison --------------------------------------------------------
say "comparing the merged datasets (cmp):"
ok=1
for f in merged.npy merged.npy.geom.json; do
	a=$tmp/slurm/$f b=$tmp/serial/$f
	if cmp "$a" "$b"; then
		printf '    identical  %-22s %8d bytes  sha256 %s\n' "$f" "$(stat -c %s "$a")" "$(sha256sum <"$a" | cut -c1-16)"
	else
		printf '    DIFFERENT  %-22s (SLURM sha256 %s, serial %s)\n' "$f" \
			"$(sha256sum <"$a" | cut -c1-16)" "$(sha256sum <"$b" | cut -c1-16)"
		ok=
	fi
done
for ((k = 0; k < shards; k++)); do
	cmp -s "$tmp/slurm/shards/shard-$k.npy" "$tmp/serial/shards/shard-$k.npy" ||
		say "    shard $k differs between the SLURM and the serial run"
done
cmp -s "$tmp/slurm/shards/shard-0.npy" "$tmp/slurm/shards/shard-1.npy" && {
	say "    shards 0 and 1 are identical: the shard seeds are not distinct"
	ok=
}
n=$(sed -n 's/.*"n":\([0-9]*\).*/\1/p' "$tmp/slurm/merged.json")
[[ $n == $((shards * samples)) ]] || {
	say "    the merged dataset holds $n samples, not $shards × $samples"
	ok=
}
[[ -n $ok ]] || fail "the dataset merged under SLURM differs from the serial one"
say "PASS: $shards SLURM array tasks + afterok merge = the same $shards shards run serially and merged, byte for byte ($n samples of $model L=$L)"
