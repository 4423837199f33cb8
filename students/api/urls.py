from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("schools", views.SchoolViewSet)
router.register("grades", views.GradeViewSet)
router.register("cohorts", views.CohortViewSet)
router.register("students", views.StudentViewSet)
router.register("service-needs", views.ServiceNeedViewSet)
router.register("staff", views.StaffViewSet)

app_name = "api"
urlpatterns = router.urls
