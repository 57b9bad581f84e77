"""After-sale photos, streamed to the people allowed to see them: the buyer who attached them and
staff with the after-sale view permission (the admin's after-sale pages link here). Anyone else gets
the same 404 as for a photo that does not exist. The files sit under MEDIA_ROOT with random names;
pages never link to them directly."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from fenxiao.orders import selectors

from .helpers import not_found


@login_required
@require_GET
def photo(request: HttpRequest, photo_id: int) -> HttpResponse | FileResponse:
    found = selectors.photo_for_viewer(request.user, photo_id)
    if found is None:
        return not_found(request, _("照片不存在"))
    try:
        handle = found.image.open("rb")
    except FileNotFoundError:
        return not_found(request, _("照片不存在"))
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = f'inline; filename="aftersale-{found.aftersale_id}-{found.position}.jpg"'
    return response
