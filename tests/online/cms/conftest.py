from __future__ import annotations

import pytest

from bluelamp.online.cms.demo import seed_demo_sites
from bluelamp.online.cms.models import ForceHomePage


@pytest.fixture
def sites(london: None) -> dict[str, ForceHomePage]:
    """The four demo force websites with their demo content."""
    return {home.force.code: home for home in seed_demo_sites()}
