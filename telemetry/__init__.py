"""What operators see of a running process: the counts it keeps for
Prometheus and the shape of its log lines. Imports nothing of ours; any
package may import it."""
