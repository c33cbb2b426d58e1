from wagtail.snippets.models import register_snippet

from bluelamp.online.cms.models import NationalAdvice

register_snippet(NationalAdvice)
