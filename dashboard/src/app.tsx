import { useEffect } from 'react';
import { AuthProvider, useAuth, useUser } from './auth/auth-context.tsx';
import { BillingSection, MyBillsSection } from './billing/billing-sections.tsx';
import { LoginPage } from './auth/login-page.tsx';
import { RestoreScreen } from './auth/restore-screen.tsx';
import { AlarmConsolePage } from './console/alarm-console-page.tsx';
import { EscalationContactsSection } from './alarms/escalation-contacts.tsx';
import { EstatePage } from './devices/estate-page.tsx';
import { I18nProvider, useT } from './i18n/i18n-context.tsx';
import { LiveProvider } from './live/live-context.tsx';
import { OverviewPage } from './pages/overview-page.tsx';
import { PlaceholderPage } from './pages/placeholder-page.tsx';
import { RecordsPage } from './records/records-page.tsx';
import { LedgerPage } from './assets/ledger-page.tsx';
import { PartsPage } from './assets/parts-page.tsx';
import { MaintenancePage } from './maintenance/maintenance-page.tsx';
import { MyRequestsPage } from './resident/my-requests-page.tsx';
import { MyUnitsPage } from './resident/my-units-page.tsx';
import { RequestsPage } from './service/requests-page.tsx';
import { MySurveysPage } from './surveys/my-surveys-page.tsx';
import { SurveysPage } from './surveys/surveys-page.tsx';
import { ChangePasswordPage } from './users/change-password-page.tsx';
import { useSessionWatch } from './users/use-session-watch.ts';
import { UsersPage } from './users/users-page.tsx';
import { replaceRoute, useRoute } from './router/hash-router.ts';
import { AppHeader } from './shell/app-header.tsx';
import { isSectionId, sections, sectionsFor, type SectionId } from './shell/sections.ts';
import { SideNav } from './shell/side-nav.tsx';
import { MyWorkOrdersPage } from './workorders/my-work-orders-page.tsx';
import { WorkOrderBoardPage } from './workorders/work-order-board-page.tsx';

export function App() {
  return (
    <I18nProvider>
      <AuthProvider>
        <AuthGate />
      </AuthProvider>
    </I18nProvider>
  );
}

function AuthGate() {
  const { state } = useAuth();
  switch (state.status) {
    case 'restoring':
      return <RestoreScreen unreachable={false} />;
    case 'unreachable':
      return <RestoreScreen unreachable />;
    case 'anonymous':
      // The address is left alone, so after signing in the user lands where they meant to go.
      return <LoginPage notice={state.notice} />;
    case 'authenticated':
      // A password an administrator set must be replaced before the app opens.
      if (state.user.mustChangePassword) return <ChangePasswordPage />;
      return (
        <LiveProvider>
          <Shell />
        </LiveProvider>
      );
  }
}

function parseDeviceId(segment: string | undefined): number | null {
  if (segment === undefined || !/^\d+$/.test(segment)) return null;
  return Number(segment);
}

function Shell() {
  const t = useT();
  const user = useUser();
  const route = useRoute();
  const allowed = sectionsFor(user.role);
  useSessionWatch();
  const requested = route.path[0];
  const active: SectionId | null = isSectionId(requested) && allowed.includes(requested) ? requested : null;
  const landing = allowed[0] ?? null;

  // Unknown, empty or not-for-this-role addresses go to the role's first section.
  useEffect(() => {
    if (active === null && landing !== null) replaceRoute([landing]);
  }, [active, landing]);

  useEffect(() => {
    document.title = active ? `${t(sections[active].title)} · ${t('app.name')}` : t('app.name');
  }, [active, t]);

  return (
    <div className="app">
      <a
        className="skip-link"
        href="#main-content"
        onClick={(event) => {
          // The hash belongs to the router; move focus without touching it.
          event.preventDefault();
          document.getElementById('main-content')?.focus();
        }}
      >
        {t('nav.skip')}
      </a>
      <AppHeader />
      <div className="app__body">
        <SideNav items={allowed} active={active} />
        <main className="app__main" id="main-content" tabIndex={-1} data-testid={active ? `page-${active}` : 'page'}>
          {active ? <SectionPage section={active} rest={route.path.slice(1)} /> : null}
        </main>
      </div>
    </div>
  );
}

function SectionPage({ section, rest }: { section: SectionId; rest: string[] }) {
  switch (section) {
    case 'overview':
      // Managers and admins only: the KPIs, then the buildings' alarm escalation contacts.
      return (
        <>
          <OverviewPage />
          <EscalationContactsSection />
        </>
      );
    case 'alarms':
      // The id segment is the selected alarm (`#/alarms/42`), reusing the device-id parser.
      return <AlarmConsolePage alarmId={parseDeviceId(rest[0])} />;
    case 'estate':
    case 'equipment':
      return <EstatePage section={section} deviceId={parseDeviceId(rest[0])} />;
    case 'my-work-orders':
      return <MyWorkOrdersPage workOrderId={parseDeviceId(rest[0])} />;
    case 'work-orders':
      return <WorkOrderBoardPage workOrderId={parseDeviceId(rest[0])} />;
    case 'records':
      return <RecordsPage rest={rest} />;
    case 'ledger':
      return <LedgerPage rest={rest} />;
    case 'parts':
      return <PartsPage rest={rest} />;
    case 'maintenance':
      return <MaintenancePage />;
    case 'requests':
      return <RequestsPage rest={rest} />;
    case 'my-units':
      return <MyUnitsPage />;
    case 'my-requests':
      return <MyRequestsPage rest={rest} />;
    case 'surveys':
      return <SurveysPage rest={rest} />;
    case 'my-surveys':
      return <MySurveysPage />;
    case 'billing':
      return <BillingSection rest={rest} />;
    case 'my-bills':
      return <MyBillsSection rest={rest} />;
    case 'users':
      return <UsersPage rest={rest} />;
    default:
      return <PlaceholderPage section={section} />;
  }
}
