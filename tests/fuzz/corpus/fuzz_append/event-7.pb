
y
$e0e0e0e0-0000-4000-8000-000000000007client-bj-fin*À»¬ÌÂ9
PTP-1	 œCNYê"INV-1*
Finance bureau head