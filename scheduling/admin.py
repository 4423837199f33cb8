from django.contrib import admin

from students.admin_base import ScopedModelAdmin

from .models import Room


@admin.register(Room)
class RoomAdmin(ScopedModelAdmin):
    list_display = ["name", "kind", "capacity", "school"]
    list_filter = ["kind", ("school", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name"]
    filter_horizontal = ["grades"]
