"""Use cases. Each public function owns its transaction: it commits everything or nothing."""
