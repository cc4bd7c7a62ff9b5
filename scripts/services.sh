#!/usr/bin/env bash
# Make sure the local PostgreSQL and RabbitMQ (with its management UI) are running; start them if not.
set -euo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if ! port_open 5432; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
fi
if ! port_open 5672; then
  echo "starting RabbitMQ"
  rabbitmq-server -detached
  rabbitmqctl -q await_startup --timeout 120
fi
if command -v rabbitmq-plugins >/dev/null && ! rabbitmq-plugins -q is_enabled rabbitmq_management >/dev/null 2>&1; then
  rabbitmq-plugins -q enable rabbitmq_management >/dev/null
fi
for _ in $(seq 60); do
  port_open 5432 && port_open 5672 && exit 0
  sleep 1
done
echo "PostgreSQL (5432) or RabbitMQ (5672) did not come up" >&2
exit 1
