
m
$e0e0e0e0-0000-4000-8000-000000000008client-bj-fin*¿Å∑Ã“-
D-1INV-2∏"delivery incomplete*Í