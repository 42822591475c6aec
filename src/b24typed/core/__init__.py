"""The hand-written runtime: transport, auth, results, errors, limits and retries."""
