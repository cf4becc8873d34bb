-- Broker endpoint kinds: RabbitMQ (amqp), NATS JetStream (nats) and MQTT (mqtt), beside the HTTP ones.
alter table switchyard.endpoints
  drop constraint endpoints_kind_check,
  add constraint endpoints_kind_check
    check (kind in ('webhook', 'rest', 'soap', 'graphql', 'telegram', 'amqp', 'nats', 'mqtt'));
