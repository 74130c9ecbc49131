
c
$e0e0e0e0-0000-4000-8000-00000000000bclient-bj-fin*ÀÏîÊ’#
X-1"visited the finance bureau