
]
$e0e0e0e0-0000-4000-8000-000000000001client-bj-fin*ÀÏîÊ¢
bj-finBureau bj-fin (