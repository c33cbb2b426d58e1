"""bluelamp: one platform for a police force's online contact, control room, POLE store,
data platform, mobile devices and business services."""

__version__ = "0.1.0"
