#!/usr/bin/env bash
# Builds matssl-agent (release) and installs binary, configuration and systemd unit.
#   sudo deploy/install.sh --watch /srv/micrographs [--watch /mnt/sem-share] [--group microscope] [--prefix /usr/local]
#                          [--output-root /srv/matssl-results]
# --output-root: outputs go to a mirror tree there (output.root) and the service may write nowhere
# else; the watched folders stay read-only to it. Without it, outputs go beside the images.
# Idempotent: an existing /etc/matssl-agent/matssl-agent.toml is kept (the example goes beside it).
set -euo pipefail
cd "$(dirname "$0")/.."

PREFIX=/usr/local
WATCH=()
GROUP=""
OUTPUT_ROOT=""
NO_BUILD=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --watch) WATCH+=("$2"); shift 2 ;;
        --group) GROUP="$2"; shift 2 ;;
        --output-root) OUTPUT_ROOT="$2"; shift 2 ;;
        --prefix) PREFIX="$2"; shift 2 ;;
        --no-build) NO_BUILD=1; shift ;;
        -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
[[ $EUID -eq 0 ]] || { echo "install.sh: run as root (sudo)" >&2; exit 1; }
[[ ${#WATCH[@]} -gt 0 ]] || WATCH=(/srv/micrographs)
[[ -z "$OUTPUT_ROOT" || "$OUTPUT_ROOT" == /* ]] || { echo "install.sh: --output-root must be an absolute path" >&2; exit 2; }

if [[ $NO_BUILD -eq 0 ]]; then
    # Build as the invoking user so .build stays theirs.
    if [[ -n "${SUDO_USER:-}" ]]; then sudo -u "$SUDO_USER" swift build -c release --product matssl-agent
    else swift build -c release --product matssl-agent; fi
fi
BIN="$(swift build -c release --show-bin-path)/matssl-agent"
[[ -x "$BIN" ]] || { echo "install.sh: $BIN not built" >&2; exit 1; }

# Dedicated system user (see the unit for why not DynamicUser).
if ! id matssl >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/matssl-agent --no-create-home --shell /usr/sbin/nologin --user-group matssl
fi
[[ -n "$GROUP" ]] && usermod -a -G "$GROUP" matssl

install -D -m 0755 "$BIN" "$PREFIX/bin/matssl-agent"
install -d -m 0755 /etc/matssl-agent
install -m 0644 deploy/matssl-agent.toml /etc/matssl-agent/matssl-agent.toml.example
if [[ ! -e /etc/matssl-agent/matssl-agent.toml ]]; then
    roots=$(printf '"%s", ' "${WATCH[@]}"); roots="[${roots%, }]"
    sed -e "s#^roots = .*#roots = ${roots}#" -e "s#^root = \"\"#root = \"${OUTPUT_ROOT}\"#" \
        deploy/matssl-agent.toml > /etc/matssl-agent/matssl-agent.toml
elif [[ -n "$OUTPUT_ROOT" ]] && ! grep -q "^root = \"${OUTPUT_ROOT}\"" /etc/matssl-agent/matssl-agent.toml; then
    echo "install.sh: note: the existing configuration was kept: set root = \"${OUTPUT_ROOT}\" in its [output] section" >&2
fi
if [[ -n "$OUTPUT_ROOT" ]]; then
    install -d -m 0755 -o matssl -g matssl "$OUTPUT_ROOT"
fi
install -D -m 0644 docs/daemon.md "$PREFIX/share/doc/matssl-agent/daemon.md"

# Shipped int8 models (engine "auto"/"model" finds them by name, e.g. model = "metaldam").
models=0
for m in models/*.int8.safetensors; do
    [[ -e "$m" ]] || continue
    if head -c 64 "$m" | grep -q '^version https://git-lfs'; then
        echo "install.sh: $m is a Git LFS pointer, not the model: run 'git lfs pull' first" >&2; exit 1
    fi
    install -D -m 0644 "$m" "$PREFIX/share/matssl-agent/models/$(basename "$m")"
    models=$((models + 1))
done
if [[ $models -eq 0 ]]; then
    echo "install.sh: note: no models/*.int8.safetensors in this tree; engine \"auto\" will use the Otsu baseline" >&2
elif [[ $PREFIX != /usr/local && $PREFIX != /usr ]]; then
    echo "install.sh: note: models went to $PREFIX/share/matssl-agent/models, which the agent does not search:" \
         "set segmentation.model to a file there" >&2
fi

unit=/etc/systemd/system/matssl-agent.service
sed "s#/usr/local/bin/matssl-agent#$PREFIX/bin/matssl-agent#g" deploy/systemd/matssl-agent.service > "$unit"
install -d -m 0755 /etc/systemd/system/matssl-agent.service.d
{
    echo "# Written by install.sh: the folders the agent may write its outputs into."
    echo "[Service]"
    echo "ReadWritePaths="
    if [[ -n "$OUTPUT_ROOT" ]]; then echo "ReadWritePaths=$OUTPUT_ROOT"
    else for w in "${WATCH[@]}"; do echo "ReadWritePaths=$w"; done; fi
} > /etc/systemd/system/matssl-agent.service.d/10-watch.conf

for w in "${WATCH[@]}"; do
    if [[ -n "$OUTPUT_ROOT" ]]; then
        [[ -d "$w" ]] || echo "install.sh: note: $w does not exist yet; create it and give user 'matssl' read access" >&2
    else
        [[ -d "$w" ]] || echo "install.sh: note: $w does not exist yet; create it and give user 'matssl' write access" >&2
    fi
done
# The nightly self-supervised refresh (docs/refresh.md): a oneshot service and its timer.
for f in matssl-refresh.service matssl-refresh.timer; do
    sed "s#/usr/local/bin/matssl-agent#$PREFIX/bin/matssl-agent#g" "deploy/systemd/$f" > "/etc/systemd/system/$f"
done
systemd-analyze verify "$unit" /etc/systemd/system/matssl-refresh.service /etc/systemd/system/matssl-refresh.timer
systemctl daemon-reload
echo "Installed. Check and start:"
echo "  sudo -u matssl $PREFIX/bin/matssl-agent check-config --config /etc/matssl-agent/matssl-agent.toml"
echo "  sudo systemctl enable --now matssl-agent && journalctl -u matssl-agent -f"
echo "Nightly refresh (after configuring [refresh], see docs/refresh.md):"
echo "  sudo systemctl enable --now matssl-refresh.timer"
