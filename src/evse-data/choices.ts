// The OpenAPI enums the data node's dialog offers for its defaults, and the hotline pattern it checks.
import {
  ACCESSIBILITY,
  ACCESSIBILITY_LOCATIONS,
  AUTHENTICATION_MODES,
  CALIBRATION_LAW_DATA_AVAILABILITY,
  DYNAMIC_INFO_AVAILABLE,
  ENERGY_TYPES,
  PAYMENT_OPTIONS,
  VALUE_ADDED_SERVICES,
} from './enums';
import { HOTLINE_PHONE_PATTERN } from './normalise';

export const EDITOR_CHOICES = {
  AuthenticationModes: [...AUTHENTICATION_MODES] as string[],
  PaymentOptions: [...PAYMENT_OPTIONS] as string[],
  ValueAddedServices: [...VALUE_ADDED_SERVICES] as string[],
  Accessibility: [...ACCESSIBILITY] as string[],
  AccessibilityLocation: [...ACCESSIBILITY_LOCATIONS] as string[],
  CalibrationLawDataAvailability: [...CALIBRATION_LAW_DATA_AVAILABILITY] as string[],
  DynamicInfoAvailable: [...DYNAMIC_INFO_AVAILABLE] as string[],
  EnergyTypes: [...ENERGY_TYPES] as string[],
  hotlinePhonePattern: HOTLINE_PHONE_PATTERN.source,
};
