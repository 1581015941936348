from django.contrib import admin

from imagedash.images.models import ImageSnapshot, Lookup


@admin.register(Lookup)
class LookupAdmin(admin.ModelAdmin):
    list_display = ["created_at", "image_id", "outcome", "user", "upstream_status", "duration_ms"]
    list_filter = ["outcome"]
    search_fields = ["image_id", "upstream_request_id"]
    raw_id_fields = ["snapshot", "user"]
    date_hierarchy = "created_at"


@admin.register(ImageSnapshot)
class ImageSnapshotAdmin(admin.ModelAdmin):
    list_display = ["image_id", "name", "status", "first_seen_at", "last_seen_at"]
    search_fields = ["image_id", "name"]
