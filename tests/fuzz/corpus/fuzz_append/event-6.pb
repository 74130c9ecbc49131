
r
$e0e0e0e0-0000-4000-8000-000000000006client-bj-fin*¿‹ΩÀí2
CN-1INV-2à'CNY"Í*price correction