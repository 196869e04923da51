"""Guards for calls to rate-limited, failure-prone services: token buckets, breakers, throttles."""
