
]
$e0e0e0e0-0000-4000-8000-000000000001client-bj-fin*¿œÓ ¢
bj-finBureau bj-fin (
d
$e0e0e0e0-0000-4000-8000-000000000002client-bj-fin*¿œÓ Ú$
INV-1	†çCNY"Í*Í
d
$e0e0e0e0-0000-4000-8000-000000000003client-bj-fin*¿œÓ Ú$
INV-2	–ÜCNY"Í*Í
h
$e0e0e0e0-0000-4000-8000-000000000004client-bj-fin*¿Ä˝ÀÇ(
PAY-1	‡‘CNYÍ"
INV-1‡‘
Y
$e0e0e0e0-0000-4000-8000-000000000005client-bj-fin*¿∆áÃ¢
PAY-1Íbounced
r
$e0e0e0e0-0000-4000-8000-000000000006client-bj-fin*¿‹ΩÀí2
CN-1INV-2à'CNY"Í*price correction
y
$e0e0e0e0-0000-4000-8000-000000000007client-bj-fin*¿ª¨Ã¬9
PTP-1	†úCNYÍ"INV-1*
Finance bureau head
m
$e0e0e0e0-0000-4000-8000-000000000008client-bj-fin*¿Å∑Ã“-
D-1INV-2∏"delivery incomplete*Í
S
$e0e0e0e0-0000-4000-8000-000000000009client-bj-fin*¿ô·Ã⁄
D-1Ë"Í
l
$e0e0e0e0-0000-4000-8000-00000000000aclient-bj-fin*¿ﬂé“ö,
INV-2ËÍ"uncollectable remainder
c
$e0e0e0e0-0000-4000-8000-00000000000bclient-bj-fin*¿œÓ í#
X-1"visited the finance bureau
client-bj-fin