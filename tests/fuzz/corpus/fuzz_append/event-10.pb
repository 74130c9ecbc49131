
l
$e0e0e0e0-0000-4000-8000-00000000000aclient-bj-fin*ÀßŽÒš,
INV-2èê"uncollectable remainder