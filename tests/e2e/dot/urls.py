"""The URLs of django-oauth-toolkit's tutorial: its views under /o/, and Django's
login view for the sign-in page the authorization endpoint sends people to."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
]
