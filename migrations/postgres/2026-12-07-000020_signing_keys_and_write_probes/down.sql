DROP TABLE write_probes;
DROP TABLE signing_keys;
