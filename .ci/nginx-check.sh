#!/usr/bin/env bash
# `nginx -t` with Debian's nginx on deploy/nginx-ccbot.conf, included in a wrapper config the way
# /etc/nginx/nginx.conf includes a site. The package is unpacked into a scratch directory, not
# installed: no service starts and nothing under /etc changes (a machine with nginx uses its own).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
nginx_bin=$(command -v nginx || true)
if [ -z "$nginx_bin" ]; then
  (
    cd "$work"
    apt-get download nginx >/dev/null 2>&1 || { apt-get update -qq && apt-get download nginx >/dev/null 2>&1; }
    dpkg -x nginx_*.deb root
  )
  nginx_bin="$work/root/usr/sbin/nginx"
fi
"$nginx_bin" -v
if ! command -v openssl >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null
fi

# The site names certbot's certificate paths, which do not exist here: a throwaway self-signed pair
# stands in. Those two paths are the only lines changed in the checked copy (checked below).
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=bot.example.org \
  -keyout "$work/privkey.pem" -out "$work/fullchain.pem" 2>/dev/null
sed -e "s#/etc/letsencrypt/live/bot.example.org/#$work/#" deploy/nginx-ccbot.conf >"$work/site.conf"
changed=$(diff deploy/nginx-ccbot.conf "$work/site.conf" | grep -c '^>' || true)
[ "$changed" = 2 ] || { echo "expected 2 certificate lines to change, got $changed"; exit 1; }

mkdir -p "$work/tmp"
cat >"$work/nginx.conf" <<CONF
pid $work/nginx.pid;
error_log $work/error.log;
events {}
http {
    access_log off;
    client_body_temp_path $work/tmp/body;
    proxy_temp_path $work/tmp/proxy;
    fastcgi_temp_path $work/tmp/fastcgi;
    uwsgi_temp_path $work/tmp/uwsgi;
    scgi_temp_path $work/tmp/scgi;
    include $work/site.conf;
}
CONF
"$nginx_bin" -t -p "$work" -e "$work/error.log" -c "$work/nginx.conf"
