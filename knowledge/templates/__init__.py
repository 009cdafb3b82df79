"""Document templates an officer can edit (the draft đề án)."""
