pytest_plugins = ["fastk.testing"]  # the fastk_plugins fixture
